/**
 * Keras `.h5` files. Keras stores the model architecture as JSON in string attributes of the
 * root group (`model_config`, `training_config`, `keras_version`, `backend`). Whether the
 * attribute is a fixed-length string (inline in the object header, possibly in a continuation
 * block), a variable-length string (in a global-heap collection) or in dense attribute
 * storage (a fractal-heap direct block), its JSON text is stored contiguously and
 * uncompressed in the file (HDF5 attributes cannot be filtered). We therefore locate every
 * JSON object embedded in the file by content, in bounded windows, and analyse each one as a
 * Keras configuration. This also finds configurations hidden in other attributes.
 */
import type { FormatScanContext } from '../../types';
import { CachedReader } from '../onnx/cachedReader';
import { isJsonObject, JsonObject, JsonSyntaxError, parseJson } from '../tokenizerConfig/boundedJson';
import { analyzeKerasConfig } from './analyzeConfig';

const WINDOW = 4 * 1024 * 1024;
const MAX_JSON = 32 * 1024 * 1024;
const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const ATTRIBUTE_NAMES = ['model_config', 'training_config', 'keras_version', 'backend', 'layer_names', 'weight_names'];

function nameBefore(buf: Buffer, at: number): string | undefined {
  const from = Math.max(0, at - 160);
  const before = buf.toString('latin1', from, at);
  let best: { name: string; idx: number } | undefined;
  for (const n of ATTRIBUTE_NAMES) {
    const idx = before.lastIndexOf(`${n}\u0000`);
    if (idx >= 0 && (!best || idx > best.idx)) best = { name: n, idx };
  }
  return best?.name;
}

/**
 * Offset of the HDF5 superblock signature: 0, or after a userblock (512, 1024, 2048, ... any power of
 * two >= 512, as the HDF5 library searches), read through the source; -1 when there is none.
 */
export async function findHdf5Signature(
  src: { size: number; read(offset: number, length: number): Promise<Buffer> },
  from = 0,
): Promise<number> {
  for (let off = 0; off + 8 <= src.size; off = off === 0 ? 512 : off * 2) {
    if (off < from) continue;
    const b = await src.read(off, 8);
    if (b.length === 8 && b.equals(HDF5_MAGIC)) return off;
  }
  return -1;
}

export async function scanHdf5(ctx: FormatScanContext): Promise<void> {
  const src = ctx.source;
  const reader = new CachedReader(src, 1024 * 1024, 8);
  const sig = await findHdf5Signature({ size: src.size, read: (o, n) => reader.bytes(o, n) });
  if (sig < 0) {
    ctx.error('not an HDF5 file');
    return;
  }
  let foundKeras = false;
  let configs = 0;
  const member = ctx.depth > 0 ? src.name : undefined;
  let pos = 0;
  let retries = 0; // larger re-reads for JSON cut by a window boundary (bounded: a crafted file cannot multiply the I/O)
  while (pos < src.size) {
    const win = await src.read(pos, Math.min(WINDOW + 64, src.size - pos));
    if (win.length === 0) break;
    const text = win.toString('latin1');
    // a '{' whose next non-blank character is '"' (or that runs into the end of the window)
    const re = /\{[ \t\r\n]*(?:"|$)/g;
    let nextPos = pos + Math.min(WINDOW, win.length);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m.index >= WINDOW && pos + win.length < src.size) break; // the next window starts here
      const abs = pos + m.index;
      let result: { value: unknown; end: number } | undefined;
      try {
        result = parseJson(text, { start: m.index, allowTrailing: true, maxDepth: 256 });
      } catch (e) {
        // truncated by the window: retry with a larger read from the candidate
        if (e instanceof JsonSyntaxError && e.position >= text.length - 1 && pos + win.length < src.size && retries++ < 16) {
          const big = (await reader.bytes(abs, MAX_JSON)).toString('latin1');
          try {
            const r = parseJson(big, { allowTrailing: true, maxDepth: 256 });
            result = { value: r.value, end: m.index + r.end };
          } catch {
            result = undefined;
          }
        }
      }
      if (!result || !isJsonObject(result.value) || Object.keys(result.value).length === 0) continue;
      const obj = result.value as JsonObject;
      let attr = nameBefore(win, m.index);
      if (!attr && 'class_name' in obj && 'config' in obj) attr = 'model_config';
      else if (!attr && ('optimizer_config' in obj || 'loss' in obj)) attr = 'training_config';
      const kerasish = attr !== undefined || 'class_name' in obj || 'config' in obj || 'optimizer_config' in obj || 'loss' in obj;
      if (!kerasish) continue;
      if (attr === 'model_config' || 'class_name' in obj) foundKeras = true;
      configs++;
      await analyzeKerasConfig(obj, f => ctx.report(f), {
        where: attr ?? `json@${abs}`,
        member,
        offset: abs,
        scanNested: s => ctx.scanNested(s),
        depth: ctx.depth,
        maxDepth: ctx.limits.maxDepth,
      });
      const endAbs = pos + result.end;
      if (endAbs > nextPos) {
        nextPos = endAbs;
        break;
      }
      re.lastIndex = result.end;
    }
    pos = nextPos;
  }
  if (ctx.depth === 0) ctx.setFormat(foundKeras ? 'keras-h5' : 'hdf5');
  if (configs > 64) ctx.error(`many (${configs}) JSON objects embedded in the HDF5 file`);
}
