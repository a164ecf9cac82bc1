/**
 * A minimal protobuf wire-format reader over a CachedReader: iterates the fields of a message
 * in a byte range without loading it; length-delimited values (tensor payloads) are skipped
 * unless asked for. Every length is checked against the enclosing message.
 */
import { CachedReader } from './cachedReader';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export interface PbField {
  field: number;
  wire: number;
  /** offset of the value (after tag and, for LEN, after the length) */
  start: number;
  /** end of the value */
  end: number;
  /** varint value (wire 0) */
  varint?: bigint;
}

export class ProtoError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
  }
}

export class ProtoReader {
  constructor(readonly r: CachedReader) {}

  async varint(pos: number, end: number): Promise<{ value: bigint; next: number }> {
    let result = 0n;
    let shift = 0n;
    for (let k = 0; k < 10; k++) {
      if (pos + k >= end) throw new ProtoError('truncated varint', pos);
      const b = await this.r.byte(pos + k);
      if (b < 0) throw new ProtoError('truncated varint', pos);
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return { value: result, next: pos + k + 1 };
      shift += 7n;
    }
    throw new ProtoError('varint longer than 10 bytes', pos);
  }

  async *fields(start: number, end: number): AsyncGenerator<PbField> {
    let pos = start;
    while (pos < end) {
      const tag = await this.varint(pos, end);
      const field = Number(tag.value >> 3n);
      const wire = Number(tag.value & 7n);
      pos = tag.next;
      if (field === 0) throw new ProtoError('field number 0', pos);
      switch (wire) {
        case WIRE_VARINT: {
          const v = await this.varint(pos, end);
          yield { field, wire, start: pos, end: v.next, varint: v.value };
          pos = v.next;
          break;
        }
        case WIRE_I64:
          if (pos + 8 > end) throw new ProtoError('truncated fixed64', pos);
          yield { field, wire, start: pos, end: pos + 8 };
          pos += 8;
          break;
        case WIRE_I32:
          if (pos + 4 > end) throw new ProtoError('truncated fixed32', pos);
          yield { field, wire, start: pos, end: pos + 4 };
          pos += 4;
          break;
        case WIRE_LEN: {
          const len = await this.varint(pos, end);
          if (len.value > BigInt(end - len.next)) {
            throw new ProtoError(`length ${len.value} exceeds the ${end - len.next} bytes left in the message`, pos);
          }
          const s = len.next;
          const e = s + Number(len.value);
          yield { field, wire, start: s, end: e };
          pos = e;
          break;
        }
        default:
          throw new ProtoError(`unsupported wire type ${wire}`, pos);
      }
    }
  }

  async bytes(f: PbField, max = 1 << 20): Promise<Buffer | undefined> {
    if (f.wire !== WIRE_LEN || f.end - f.start > max) return undefined;
    return this.r.bytes(f.start, f.end - f.start);
  }

  async string(f: PbField, max = 1 << 20): Promise<string | undefined> {
    const b = await this.bytes(f, max);
    return b?.toString('utf8');
  }
}

/**
 * Walks the top-level fields of a protobuf in a buffer (synchronously, for detection);
 * returns undefined if the bytes are not a well-formed prefix of a message.
 */
export function headFields(head: Buffer, maxFields = 16): Array<{ field: number; wire: number; start: number; end: number; varint?: number }> | undefined {
  const out: Array<{ field: number; wire: number; start: number; end: number; varint?: number }> = [];
  let pos = 0;
  const varint = (): number | undefined => {
    let result = 0;
    let mul = 1;
    for (let k = 0; k < 10 && pos < head.length; k++) {
      const b = head[pos++];
      result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return result;
    }
    return undefined;
  };
  while (pos < head.length && out.length < maxFields) {
    const tag = varint();
    if (tag === undefined) return out.length ? out : undefined;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) return undefined;
    if (wire === 0) {
      const start = pos;
      const v = varint();
      if (v === undefined) return out.length ? out : undefined;
      out.push({ field, wire, start, end: pos, varint: v });
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined) return out.length ? out : undefined;
      out.push({ field, wire, start: pos, end: pos + len });
      if (pos + len > head.length) return out; // continues beyond the head
      pos += len;
    } else if (wire === 1 || wire === 5) {
      out.push({ field, wire, start: pos, end: pos + (wire === 1 ? 8 : 4) });
      pos += wire === 1 ? 8 : 4;
    } else return undefined;
  }
  return out;
}
