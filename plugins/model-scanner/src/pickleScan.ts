/**
 * Pickle readings of a byte source: the full scan (with nested objects and the shadow readings
 * around broken frames), the probe for text-like protocol 0/1 pickles, and the pickle reading of a
 * file that validated as another format (polyglots).
 */
import type { ByteSource, Finding, FormatScanContext } from './types';
import { BufferByteSource, SliceByteSource } from './byteSource';
import { finding } from './rules';
import { PickleMachine, PickleParseFailure } from './pickle/machine';
import { IDENT_PATH } from './sniff';
import type { FileScan } from './fileScan';

const IMPORT_OR_CALL_RULES = new Set([
  'PICKLE_DANGEROUS_GLOBAL',
  'PICKLE_DANGEROUS_CALL',
  'PICKLE_NON_ALLOWLISTED_GLOBAL',
  'PICKLE_NESTED_PICKLE',
  'PICKLE_CALL_OF_RESULT',
]);

/**
 * Whether a finding of an alternative (shadow) pickle reading names a well-formed import or call,
 * as opposed to garbage that merely decoded as opcodes.
 */
export function namesRealImportOrCall(f: Finding): boolean {
  const g = f.details?.global ?? f.details?.callee;
  return (
    IMPORT_OR_CALL_RULES.has(f.ruleId) &&
    typeof g === 'string' &&
    IDENT_PATH.test(g.replace(/\(…\)$/, ''))
  );
}

/**
 * The same bytes read as a pickle (a file that validated as another format but starts like one).
 * A complete pickle program is a polyglot and is scanned in full; otherwise only what the partial
 * reading really imports or calls is reported.
 */
export async function pickleReading(
  scan: FileScan,
  source: ByteSource,
  ctx: FormatScanContext & { scan: FileScan },
  format: string,
  baseName: string,
) {
  const seen: Finding[] = [];
  const m = new PickleMachine(source, {
    limits: scan.limits,
    report: f => {
      if (seen.length < 200) seen.push(f);
    },
    scanNestedRange: async () => {},
    scanNestedBuffer: async () => {},
    shadow: true,
  });
  const out = await m.runStream();
  if (out.ok && out.opcodes >= 2) {
    ctx.report(
      finding(
        'PICKLE_POLYGLOT',
        `${baseName} is a valid ${format} file and also a complete pickle (${out.opcodes} opcodes); the pickle reading was scanned.`,
        { offset: 0 },
        { format },
      ),
    );
    await scanPickle(scan, source, ctx, true);
    ctx.setFormat(format);
    return;
  }
  for (const f of seen) {
    if (namesRealImportOrCall(f))
      ctx.report({
        ...f,
        message: `${f.message} (seen when the ${format} file is read as a pickle)`,
      });
  }
}

/** Protocol 0/1 pickles are text-like: accept when the machine parses the head cleanly. */
export async function probePickle(
  scan: FileScan,
  source: ByteSource,
): Promise<boolean> {
  const head = await source.read(0, 64 * 1024);
  let saw = false;
  const m = new PickleMachine(new BufferByteSource(head, source.name), {
    limits: scan.limits,
    report: f => {
      // only a well-formed import counts: text that happens to start with "c" is not a pickle
      const g = f.details?.global;
      if (typeof g === 'string' && IDENT_PATH.test(g)) saw = true;
      if (f.ruleId === 'PICKLE_UNKNOWN_EXTENSION') saw = true;
    },
    scanNestedRange: async () => {},
    scanNestedBuffer: async () => {},
    shadow: true,
  });
  const out = await m.runStream();
  if (out.ok) return out.opcodes >= 2;
  if (saw) return true;
  // truncated by the probe window, not by an error
  return (
    out.opcodes >= 8 && out.end >= head.length - 16 && head.length < source.size
  );
}

export async function scanPickle(
  scan: FileScan,
  source: ByteSource,
  ctx: FormatScanContext & { scan: FileScan },
  strong: boolean,
  start = 0,
  end = source.size,
  torchTarRecords?: 'storages' | 'tensors',
) {
  ctx.setFormat('pickle');
  const torchScript = [...scan.torchScriptRoots].some(p =>
    source.name.startsWith(p),
  );
  const machine = new PickleMachine(
    source,
    {
      torchScript,
      weak: !strong,
      limits: scan.limits,
      report: f => ctx.report(f),
      scanNestedRange: async (off, len) => {
        await scan.scanSource(
          new SliceByteSource(source, off, len, `${source.name}!/@${off}`),
          ctx.depth + 1,
        );
      },
      scanNestedBuffer: async (data, why) => {
        await scan.scanSource(
          new BufferByteSource(data, `${source.name}!/<${why} argument>`),
          ctx.depth + 1,
        );
      },
      shadowScan: async off => {
        const shadow = new PickleMachine(
          source,
          {
            limits: scan.limits,
            report: f => {
              // only what an alternative reading really imports or calls; garbage is not a finding
              if (namesRealImportOrCall(f))
                ctx.report({
                  ...f,
                  message: `${f.message} (seen when the bytes around a broken frame are read the way another unpickler reads them)`,
                });
            },
            scanNestedRange: async () => {},
            scanNestedBuffer: async () => {},
            shadow: true,
          },
          off,
          end,
        );
        await shadow.runStream();
      },
    },
    start,
    end,
  );
  try {
    if (torchTarRecords) {
      await machine.scanTorchTarRecords(torchTarRecords);
      return;
    }
    const summary = await machine.scanAll();
    for (const g of summary.globals) {
      if (scan.pickleImports.size >= 500) break;
      scan.pickleImports.add(`${g.module}.${g.name}`);
    }
    if (summary.legacyTorch) ctx.setFormat('pytorch-legacy');
    else if (summary.joblib) ctx.setFormat('joblib');
  } catch (e) {
    if (e instanceof PickleParseFailure) {
      const o = e.outcome;
      // a weakly detected member of an archive that is not really a pickle is just data
      if (!strong && o.worst === 'safe') return;
      ctx.error(`invalid pickle: ${e.message}`);
      return;
    }
    throw e;
  }
}
