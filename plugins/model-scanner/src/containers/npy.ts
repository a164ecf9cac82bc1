/** NumPy .npy: parse the header; object arrays hold a pickle, which is scanned. */
import type { FormatScanContext } from '../types';
import { SliceByteSource } from '../byteSource';
import { finding } from '../rules';
import type { FileScan } from '../fileScan';
import { scanPickle } from '../pickleScan';

export async function scanNpy(
  ctx: FormatScanContext & { scan: FileScan },
): Promise<void> {
  const src = ctx.source;
  const pre = await src.read(0, 12);
  const major = pre[6];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = pre.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = pre.readUInt32LE(8);
    headerStart = 12;
  } else {
    ctx.report(
      finding('NUMPY_MALFORMED', `Unsupported .npy format version ${major}.`),
    );
    return;
  }
  if (headerStart + headerLen > src.size || headerLen > 1 << 20) {
    ctx.report(
      finding(
        'NUMPY_MALFORMED',
        `The .npy header length ${headerLen} exceeds the file.`,
      ),
    );
    return;
  }
  const header = (await src.read(headerStart, headerLen)).toString(
    major === 3 ? 'utf8' : 'latin1',
  );
  const m = /['"]descr['"]\s*:\s*('([^']*)'|"([^"]*)"|\[.*\])/s.exec(header);
  if (!m || !/['"]shape['"]\s*:\s*\(/.test(header)) {
    ctx.report(
      finding(
        'NUMPY_MALFORMED',
        'The .npy header has no parsable descr/shape.',
      ),
    );
    return;
  }
  const descr = m[2] ?? m[3] ?? m[1];
  const isObject =
    m[2] !== undefined || m[3] !== undefined
      ? /^[|<>=]?O/.test(descr)
      : /['"][|<>=]?O\d*['"]/.test(descr);
  const dataOff = headerStart + headerLen;
  if (isObject) {
    ctx.report(
      finding(
        'NUMPY_OBJECT_ARRAY',
        'The array has an object dtype; its data is a pickle (numpy.load with allow_pickle=True runs it). The pickle was scanned.',
        {
          offset: dataOff,
        },
      ),
    );
    const slice = new SliceByteSource(
      src,
      dataOff,
      src.size - dataOff,
      src.name,
    );
    await scanPickle(ctx.scan, slice, ctx, true);
    ctx.setFormat('numpy');
  }
}
