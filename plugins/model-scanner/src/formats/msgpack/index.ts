/**
 * MessagePack (Flax/JAX `flax_model.msgpack`): a tree of maps whose leaves are arrays stored as ext
 * values. `flax.serialization.msgpack_restore` rebuilds arrays and nothing else, so a file that is
 * exactly one well-formed MessagePack map is data. The whole structure is walked (payloads skipped
 * by their lengths, never read); anything else is MSGPACK_MALFORMED.
 */
import type { ByteSource, FormatScanContext, FormatScanner } from '../../types';

export const msgpackRules: Record<string, string> = {
  MSGPACK_MALFORMED:
    'The file starts like a MessagePack map (Flax/JAX weights) but is not exactly one well-formed MessagePack value, so loaders may read something else than what was checked.',
};

const isStrType = (b: number) => (b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb;

function detect(head: Buffer): number {
  if (head.length < 2) return 0;
  const b = head[0];
  // a map whose first key is a string (a state dict); below 50 so a pickle probe runs first
  if (b >= 0x81 && b <= 0x8f && isStrType(head[1])) return 45;
  if ((b === 0xde && head.length >= 4 && isStrType(head[3])) || (b === 0xdf && head.length >= 6 && isStrType(head[5]))) return 45;
  return 0;
}

class Cursor {
  pos = 0;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly src: ByteSource) {}
  async bytes(n: number): Promise<Buffer> {
    if (this.pos + n > this.src.size) throw new Error(`value at ${this.pos} runs past the end of the file`);
    if (this.pos < this.bufStart || this.pos + n > this.bufStart + this.buf.length) {
      this.bufStart = this.pos;
      this.buf = await this.src.read(this.pos, Math.max(n, 64 * 1024));
    }
    const out = this.buf.subarray(this.pos - this.bufStart, this.pos - this.bufStart + n);
    this.pos += n;
    return out;
  }
  async uint(n: 1 | 2 | 4): Promise<number> {
    const b = await this.bytes(n);
    if (n === 1) return b[0];
    if (n === 2) return b.readUInt16BE(0);
    return b.readUInt32BE(0);
  }
  skip(n: number) {
    if (this.pos + n > this.src.size) throw new Error(`payload of ${n} bytes at ${this.pos} runs past the end of the file`);
    this.pos += n;
  }
}

/** Walks one MessagePack value; returns the number of bytes it spans. */
export async function walkMsgpack(src: ByteSource, maxDepth = 512): Promise<number> {
  const c = new Cursor(src);
  const pending: number[] = [1]; // values still expected at each open level
  while (pending.length) {
    if (pending[pending.length - 1] === 0) {
      pending.pop();
      continue;
    }
    pending[pending.length - 1]--;
    const t = (await c.bytes(1))[0];
    let children = 0;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) children = 0;
    else if (t <= 0x8f) children = 2 * (t & 0x0f);
    else if (t <= 0x9f) children = t & 0x0f;
    else if (t <= 0xbf) c.skip(t & 0x1f);
    else if (t === 0xc1) throw new Error(`invalid type byte 0xc1 at ${c.pos - 1}`);
    else if (t >= 0xc4 && t <= 0xc6) c.skip(await c.uint(([1, 2, 4] as const)[t - 0xc4]));
    else if (t >= 0xc7 && t <= 0xc9) c.skip((await c.uint(([1, 2, 4] as const)[t - 0xc7])) + 1);
    else if (t === 0xca) c.skip(4);
    else if (t === 0xcb) c.skip(8);
    else if (t >= 0xcc && t <= 0xcf) c.skip([1, 2, 4, 8][t - 0xcc]);
    else if (t >= 0xd0 && t <= 0xd3) c.skip([1, 2, 4, 8][t - 0xd0]);
    else if (t >= 0xd4 && t <= 0xd8) c.skip([1, 2, 4, 8, 16][t - 0xd4] + 1);
    else if (t >= 0xd9 && t <= 0xdb) c.skip(await c.uint(([1, 2, 4] as const)[t - 0xd9]));
    else if (t === 0xdc || t === 0xdd) children = await c.uint(t === 0xdc ? 2 : 4);
    else if (t === 0xde || t === 0xdf) children = 2 * (await c.uint(t === 0xde ? 2 : 4));
    if (children > 0) {
      // every value takes at least one byte: a count larger than what is left is a lie
      if (children > src.size - c.pos) throw new Error(`container at ${c.pos} declares ${children} values, more than the bytes left`);
      if (pending.length >= maxDepth) throw new Error(`nesting deeper than ${maxDepth}`);
      pending.push(children);
    }
  }
  return c.pos;
}

async function scan(ctx: FormatScanContext): Promise<void> {
  if (ctx.depth === 0) ctx.setFormat('msgpack');
  let problem: string | undefined;
  try {
    const end = await walkMsgpack(ctx.source);
    if (end !== ctx.source.size) problem = `${ctx.source.size - end} bytes follow the MessagePack value`;
  } catch (e) {
    problem = (e as Error).message;
  }
  if (problem) {
    ctx.report({
      ruleId: 'MSGPACK_MALFORMED',
      severity: 'medium',
      message: `The MessagePack structure is not well formed: ${problem}.`,
      atlas: ['AML.T0076'],
    });
  }
}

export const msgpackScanner: FormatScanner = { id: 'msgpack', detect, scan };
