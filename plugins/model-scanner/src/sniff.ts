/**
 * Content detection: magic numbers, header shapes and name patterns the dispatcher uses to decide
 * what a byte source is (never the name alone).
 */
import type { ByteSource } from './types';
import {
  readHeaderLength as readSafetensorsHeaderLength,
  SAFETENSORS_MAX_HEADER,
} from './formats/safetensors';
import { isJsonObject, parseJson } from './formats/tokenizerConfig/boundedJson';
import type { SevenZipKind } from './containers/sevenZip';

/** Extensions of formats that are not code: a pickle or archive named so is masquerading. */
export const SAFE_CLAIM_EXTENSIONS =
  /\.(safetensors|gguf|onnx|json|txt|md|npy|h5|hdf5|keras|csv|yaml|yml|model|tflite|msgpack)$/i;

/** Compressed streams and archives recognised by magic (decoded by Node's zlib, our LZ4 decoder or 7-Zip). */
export const COMPRESSED_CONTAINERS: Array<
  [SevenZipKind | 'zstd' | 'lz4', Buffer]
> = [
  ['7z', Buffer.from('377abcaf271c', 'hex')],
  ['rar5', Buffer.from('526172211a070100', 'hex')],
  ['rar', Buffer.from('526172211a0700', 'hex')],
  ['xz', Buffer.from('fd377a585a00', 'hex')],
  ['bzip2', Buffer.from('425a68', 'hex')],
  ['zstd', Buffer.from('28b52ffd', 'hex')],
  ['lz4', Buffer.from('04224d18', 'hex')],
  ['lz4', Buffer.from('02214c18', 'hex')],
];

/**
 * The "alone" .lzma header (joblib's `lzma` compressor, `xz --format=lzma`): properties byte, a
 * dictionary size liblzma accepts (2^n or 2^n + 2^(n-1)), and an unknown (-1) or sane size.
 */
export function looksLikeLzmaAlone(head: Buffer): boolean {
  if (head.length < 14 || head[0] >= 225) return false;
  const dict = head.readUInt32LE(1);
  let ok = false;
  for (let n = 12; n <= 30 && !ok; n++)
    ok = dict === 2 ** n || dict === 2 ** n + 2 ** (n - 1);
  if (!ok) return false;
  const lo = head.readUInt32LE(5);
  const hi = head.readUInt32LE(9);
  if (lo === 0xffffffff && hi === 0xffffffff) return true;
  // liblzma refuses declared sizes of 256 GiB and more; the first range-coder byte is always 0
  return hi < 64 && head[13] === 0;
}

/** "BZh" + block size 1-9 + the first block's magic (or the end-of-stream magic of an empty stream). */
export function isBzip2Head(head: Buffer): boolean {
  if (head.length < 10 || head[3] < 0x31 || head[3] > 0x39) return false;
  const magic = head.subarray(4, 10).toString('hex');
  return magic === '314159265359' || magic === '177245385090';
}
export function isPickleHead(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x80 && head[1] <= 5;
}

/** Opcodes a pickle can start with (anything that does not pop the empty stack). */
export const PROTO0_START = new Set(
  Buffer.from(
    '(]})cNIJKLMFGSTUVXBCdltPi\x80\x82\x83\x84\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x94\x95\x96\x97',
    'latin1',
  ),
);
/** A dotted Python name (`module.attr.attr`). */
export const IDENT_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function looksLikeText(head: Buffer): boolean {
  if (!head.length) return true;
  let printable = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) printable++;
  }
  if (printable / head.length < 0.95) return false;
  try {
    // stream mode: a multi-byte character cut by the 4 KiB window is not an error
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Largest safetensors header the engine reads whole to validate a PROTO-looking length field. */
const SAFETENSORS_VALIDATE_MAX = 32 * 1024 * 1024;
/**
 * A safetensors file whose 8-byte header length starts with 0x80 0x00..0x05 looks like a pickle PROTO
 * opcode. It is a safetensors file when the whole header parses as a JSON object and every tensor's
 * data_offsets lie inside the data section: structural evidence that outranks a two-byte sniff.
 */
export async function isStructurallySafetensors(
  source: ByteSource,
  head: Buffer,
): Promise<boolean> {
  const n = readSafetensorsHeaderLength(head);
  if (n === undefined || n < 2 || n > SAFETENSORS_MAX_HEADER) return false;
  if (n > SAFETENSORS_VALIDATE_MAX || n + 8 > source.size) return false;
  if (head.length < 9 || head[8] !== 0x7b) return false;
  const header =
    8 + n <= head.length ? head.subarray(8, 8 + n) : await source.read(8, n);
  if (header.length !== n) return false;
  let value: unknown;
  try {
    value = parseJson(header.toString('utf8').replace(/[ ]+$/, '')).value;
  } catch {
    return false;
  }
  if (!isJsonObject(value)) return false;
  const dataSize = source.size - 8 - n;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === '__metadata__') continue;
    if (!isJsonObject(v)) return false;
    const offs = (v as Record<string, unknown>).data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every(o => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offs[0] as number) > (offs[1] as number) ||
      (offs[1] as number) > dataSize
    )
      return false;
  }
  return true;
}

/** Magic numbers of native executables and scripts (never the start of raw tensor data). */
export const EXECUTABLE_MAGIC: Array<[string, (h: Buffer) => boolean]> = [
  [
    'an ELF executable',
    h =>
      h.length >= 7 &&
      h.subarray(0, 4).toString('latin1') === '\x7fELF' &&
      (h[4] === 1 || h[4] === 2) &&
      (h[5] === 1 || h[5] === 2) &&
      h[6] === 1,
  ],
  [
    'a Windows PE executable',
    h => {
      if (h.length < 64 || h[0] !== 0x4d || h[1] !== 0x5a) return false;
      const pe = h.readUInt32LE(0x3c);
      return (
        pe + 4 <= h.length &&
        h.subarray(pe, pe + 4).toString('latin1') === 'PE\0\0'
      );
    },
  ],
  [
    'a Mach-O executable',
    h =>
      h.length >= 8 &&
      [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(
        h.readUInt32BE(0),
      ),
  ],
  [
    'a script (#!)',
    h =>
      /^#! ?\/[\x21-\x7e]+( [\x20-\x7e]*)?\r?\n/.test(
        h.subarray(0, 512).toString('latin1'),
      ),
  ],
];

/** Raw tensor payloads inside model archives (PyTorch data/N, joblib, ...), by member name. */
export function isTensorPayloadMember(m: string): boolean {
  return (
    /(^|\/)(data|storages|tensors)(\/|$)|\/\d+$|^\d+$|(^|\/)(byteorder|version|\.data\/serialization_id|constants\.pkl|\.format_version|\.storage_alignment)$/.test(
      m,
    ) || /\.(bin|dat|data|raw|storage)$/i.test(m)
  );
}
