/**
 * Format dispatch: the order in which content is recognised (raw tensor data hints, TorchScript
 * source, zip, NumPy, gzip, tar, compressed containers, pickles against structurally validated
 * formats, the format modules, HDF5 after a userblock, LZMA, zlib, protocol 0 pickles, text) and
 * the findings about names that lie about the content.
 */
import * as path from 'node:path';
import type { ByteSource, FormatScanContext } from './types';
import { InflateByteSource } from './byteSource';
import { finding } from './rules';
import { scanZip, ZIP_LOCAL_MAGIC } from './containers/zip';
import { scanTar, looksLikeTar } from './containers/tar';
import { scanNpy } from './containers/npy';
import { scanWith7z } from './containers/sevenZipScan';
import { scanCompressedStream } from './containers/stream';
import { formatScanners } from './formats';
import { findHdf5Signature } from './formats/keras/hdf5';
import { mayHoldHydraTargets, scanHydraConfig } from './formats/hydra';
import {
  isTorchScriptSource,
  scanTorchScriptSource,
} from './formats/torchscript';
import {
  COMPRESSED_CONTAINERS,
  EXECUTABLE_MAGIC,
  isBzip2Head,
  isPickleHead,
  isStructurallySafetensors,
  looksLikeLzmaAlone,
  looksLikeText,
  PROTO0_START,
  SAFE_CLAIM_EXTENSIONS,
} from './sniff';
import { pickleReading, probePickle, scanPickle } from './pickleScan';
import type { FileScan } from './fileScan';

function masquerade(ctx: FormatScanContext, baseName: string, actual: string) {
  if (SAFE_CLAIM_EXTENSIONS.test(baseName)) {
    ctx.report(
      finding(
        'MASQUERADING_EXTENSION',
        `${baseName} is named like a ${path.extname(
          baseName,
        )} file but its content is a ${actual}.`,
        undefined,
        { actualFormat: actual },
      ),
    );
  }
}

/**
 * Decides what a byte source is by its content (the name is only a hint) and hands it to the
 * scanner of that format. Returns 'zip' when it was read as a zip archive (the caller then does not
 * look for an appended zip directory again).
 */
export async function dispatchContent(
  scan: FileScan,
  source: ByteSource,
  head: Buffer,
  baseName: string,
  ctx: FormatScanContext & { scan: FileScan },
): Promise<string> {
  const hint = { name: baseName, size: source.size };
  // raw tensor data named by a sibling model: only embedded programs and archives are findings
  const tensorData = ctx.depth === 0 && scan.referencedBy.length > 0;
  const referrers = scan.referencedBy.slice(0, 3).join(', ');
  if (tensorData) {
    const exe = EXECUTABLE_MAGIC.find(([, test]) => test(head));
    if (exe) {
      ctx.setFormat('tensor-data');
      ctx.report(
        finding(
          'TENSOR_DATA_EMBEDDED_CODE',
          `${baseName} is named as raw tensor data by ${referrers} but is ${exe[0]}.`,
          { offset: 0 },
          { kind: exe[0], referencedBy: scan.referencedBy.slice(0, 10) },
        ),
      );
      return 'other';
    }
  }
  // TorchScript source (code/**.py of a torch.jit archive): compiled and run by torch.jit.load
  if (
    ctx.depth > 0 &&
    isTorchScriptSource(source.name, scan.torchScriptRoots) &&
    looksLikeText(head)
  ) {
    await scanTorchScriptSource(ctx);
    return 'other';
  }
  if (
    head.length >= 4 &&
    (head.readUInt32LE(0) === ZIP_LOCAL_MAGIC ||
      head.readUInt32LE(0) === 0x06054b50)
  ) {
    if (tensorData)
      ctx.report(
        finding(
          'TENSOR_DATA_ARCHIVE',
          `${baseName} is named as raw tensor data by ${referrers} but is a zip archive; its members were scanned.`,
          { offset: 0 },
        ),
      );
    if (
      /\.(zip|npz|pt|pth|bin|ckpt|keras|pkl|tar|mar)$/i.test(baseName) ===
        false &&
      SAFE_CLAIM_EXTENSIONS.test(baseName)
    ) {
      masquerade(ctx, baseName, 'zip archive');
    }
    await scanZip(ctx);
    return 'zip';
  }
  if (
    head.length >= 6 &&
    head.subarray(0, 6).toString('latin1') === '\x93NUMPY'
  ) {
    ctx.setFormat('numpy');
    await scanNpy(ctx);
    return 'other';
  }
  if (
    head.length >= 3 &&
    head[0] === 0x1f &&
    head[1] === 0x8b &&
    (!tensorData || head[2] === 8)
  ) {
    ctx.setFormat('gzip');
    await scanCompressedStream(scan, source, 'gzip', ctx);
    return 'other';
  }
  if (looksLikeTar(head)) {
    await scanTar(ctx);
    return 'other';
  }
  const container = COMPRESSED_CONTAINERS.find(([, magic]) =>
    head.subarray(0, magic.length).equals(magic),
  );
  if (container && !(container[0] === 'bzip2' && !isBzip2Head(head))) {
    const kind = container[0];
    if (kind === 'zstd' || kind === 'lz4') {
      ctx.setFormat(kind);
      await scanCompressedStream(scan, source, kind, ctx);
    } else await scanWith7z(ctx, kind);
    return 'other';
  }
  if (isPickleHead(head) && !tensorData) {
    // structure beats a two-byte sniff: a safetensors header length such as 640 starts 0x80 0x02
    const structural = await structuralFormat(source, head, hint);
    if (structural) {
      ctx.setFormat(structural.id);
      await structural.scan(ctx);
      await pickleReading(scan, source, ctx, structural.id, baseName);
      return 'other';
    }
  }
  if (isPickleHead(head)) {
    if (tensorData) {
      // fp16/bf16 data starts with 0x80 0x0N often: only a real pickle program is reported
      await scanPickle(scan, source, ctx, false);
      tensorDataResult(scan, ctx, baseName, referrers);
      return 'other';
    }
    if (
      !/\.(pkl|pickle|pt|pth|bin|ckpt|joblib|dill|dat|data|p|sav|model|z)$/i.test(
        baseName,
      )
    )
      masquerade(ctx, baseName, 'pickle');
    // a tensor storage whose first bytes happen to look like PROTO is weak evidence
    await scanPickle(
      scan,
      source,
      ctx,
      !(ctx.depth > 0 && scan.isTensorPayload(source)),
    );
    return 'other';
  }
  // other engineers' format modules (content detection, name as a hint)
  let best: { s: (typeof formatScanners)[number]; c: number } | undefined;
  for (const s of formatScanners) {
    let c = 0;
    try {
      c = s.detect(head, hint);
    } catch {
      c = 0;
    }
    if (c > 0 && (!best || c > best.c)) best = { s, c };
  }
  // a weak name-and-shape guess never reclassifies raw tensor data
  if (tensorData && best && best.c < 80) best = undefined;
  if (best && best.c >= 50) {
    ctx.setFormat(best.s.id);
    await best.s.scan(ctx);
    return 'other';
  }
  // HDF5 after a userblock larger than the detection window (Keras .h5 with a userblock)
  // (not in raw storages, and not through inflating streams where a far read inflates everything)
  if (
    source.size > head.length &&
    !(source instanceof InflateByteSource) &&
    (ctx.depth === 0 || !scan.isTensorPayload(source)) &&
    (await findHdf5Signature(source, 4096)) >= 0
  ) {
    const h5 = formatScanners.find(s => s.id === 'keras-h5');
    if (h5) {
      ctx.setFormat(h5.id);
      await h5.scan(ctx);
      return 'other';
    }
  }
  if (!tensorData && looksLikeLzmaAlone(head)) {
    await scanWith7z(ctx, 'lzma');
    return 'other';
  }
  if (
    !tensorData &&
    head.length >= 2 &&
    head[0] === 0x78 &&
    ((head[0] << 8) | head[1]) % 31 === 0
  ) {
    ctx.setFormat('zlib');
    await scanCompressedStream(scan, source, 'zlib', ctx);
    return 'other';
  }
  if (
    head.length &&
    PROTO0_START.has(head[0]) &&
    (await probePickle(scan, source))
  ) {
    if (
      !/\.(pkl|pickle|pt|pth|bin|ckpt|joblib|dill|dat|data|p|sav)$/i.test(
        baseName,
      )
    )
      masquerade(ctx, baseName, 'pickle');
    await scanPickle(scan, source, ctx, false);
    if (tensorData) tensorDataResult(scan, ctx, baseName, referrers);
    return 'other';
  }
  if (best) {
    ctx.setFormat(best.s.id);
    await best.s.scan(ctx);
    return 'other';
  }
  // raw tensor data (even bytes that happen to be printable): scripts were refused above
  if (tensorData) {
    tensorDataResult(scan, ctx, baseName, referrers);
    return 'other';
  }
  if (looksLikeText(head)) {
    const text = head.toString('utf8');
    const first = text.trimStart()[0];
    ctx.setFormat(first === '{' || first === '[' ? 'json' : 'text');
    // Hydra/NeMo configs: hydra.utils.instantiate imports and calls every _target_
    if (mayHoldHydraTargets(text, baseName)) await scanHydraConfig(ctx);
    // OpenVINO IR: model.xml (<net ...>) keeps its weights as raw bytes in model.bin next to it
    if (
      ctx.depth === 0 &&
      /\.xml$/i.test(baseName) &&
      /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<net[\s>]/.test(text)
    ) {
      ctx.setFormat('openvino-ir');
      ctx.addReference?.(`${baseName.slice(0, -4)}.bin`);
    }
    return 'other';
  }
  ctx.setFormat('unknown');
  if (ctx.depth === 0 || !scan.isTensorPayload(source)) {
    ctx.report(
      finding(
        'UNKNOWN_FORMAT',
        `The content of ${baseName} matches no known model or data format, so it could not be checked.`,
      ),
    );
  }
  return 'other';
}

/** Closes the classification of a referenced raw tensor data file. */
function tensorDataResult(
  scan: FileScan,
  ctx: FormatScanContext,
  baseName: string,
  referrers: string,
) {
  ctx.setFormat('tensor-data');
  ctx.report(
    finding(
      'TENSOR_DATA',
      `${baseName} holds raw tensor data named by ${referrers}; it was hashed and checked for embedded executable content.`,
      undefined,
      { referencedBy: scan.referencedBy.slice(0, 10) },
    ),
  );
}

/** A format module whose structural validation outranks the weak 0x80 PROTO sniff. */
async function structuralFormat(
  source: ByteSource,
  head: Buffer,
  hint: { name: string; size: number },
): Promise<(typeof formatScanners)[number] | undefined> {
  if (await isStructurallySafetensors(source, head))
    return formatScanners.find(s => s.id === 'safetensors');
  for (const s of formatScanners) {
    if (s.id === 'safetensors') continue;
    let c = 0;
    try {
      c = s.detect(head, hint);
    } catch {
      c = 0;
    }
    // magic-validated formats (GGUF, HDF5, ONNX/SavedModel protobuf heads)
    if (c >= 80) return s;
  }
  return undefined;
}
