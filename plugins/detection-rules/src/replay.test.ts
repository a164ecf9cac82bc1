import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { resolveConfig } from './config';
import { replayFiles } from './replay';
import { reorderBatches } from './reader';
import type { DetectionEvent } from './types';

/*
 * Golden replay: a generated mixed-source day (bench/detections/run.js --events 2000) with planted
 * incidents. The alerts must stay byte-identical across performance work. Regenerate the goldens
 * only for an intended change of behaviour: UPDATE_GOLDEN=1.
 */
const GOLDEN = path.join(__dirname, '__golden__', 'replay');
const LOG = path.join(GOLDEN, 'mixed-2000.ndjson.gz');

function expectGolden(name: string, value: unknown) {
  const file = path.join(GOLDEN, name);
  const text = `${JSON.stringify(value, null, 1)}\n`;
  if (process.env.UPDATE_GOLDEN) fs.writeFileSync(file, text);
  expect(text).toBe(fs.readFileSync(file, 'utf8'));
}

describe('replay golden', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detections-golden-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('replays the mixed-source day to the same alerts and counts', async () => {
    const r = await replayFiles([LOG], { config: resolveConfig({}) });
    expect(r.stats).toMatchObject({ lines: 2000, events: 2000, errors: 0 });
    expect(new Set(r.alerts.map(a => a.rule))).toEqual(
      new Set(['atypical-travel', 'weight-store-bulk-read', 'egress-denied-research-namespace', 'k8s-exec-research-namespace', 'k8s-cluster-admin-binding', 'password-spray']),
    );
    expectGolden('mixed-2000.alerts.json', { alerts: r.alerts, stats: r.stats, detections: r.detections });
  });

  it('gives the same alerts when the day is split over two files with CRLF, a BOM, blank and bad lines', async () => {
    const lines = zlib.gunzipSync(fs.readFileSync(LOG)).toString('utf8').split('\n').filter(Boolean);
    const a = lines.filter((_, i) => i % 2 === 0);
    const b = lines.filter((_, i) => i % 2 === 1);
    fs.writeFileSync(path.join(dir, 'a.ndjson'), `\ufeff${a.join('\r\n')}\r\n\r\nnot json\r\n`);
    fs.writeFileSync(path.join(dir, 'b.ndjson'), `${b.slice(0, 10).join('\n')}\n{"x":1}\n${b.slice(10).join('\n')}`);
    const r = await replayFiles([path.join(dir, 'a.ndjson'), path.join(dir, 'b.ndjson')], { config: resolveConfig({}) });
    expect(r.stats).toMatchObject({ events: 2000, errors: 2 });
    // files are read concurrently: the order of errors across files is not part of the result
    const errors = r.stats.firstErrors.map(e => ({ ...e, file: path.basename(e.file) })).sort((x, y) => x.file.localeCompare(y.file));
    expect(errors.map(e => [e.file, e.line])).toEqual([
      ['a.ndjson', 1002],
      ['b.ndjson', 11],
    ]);
    expectGolden('mixed-2000.split.alerts.json', { alerts: r.alerts, stats: { ...r.stats, firstErrors: errors }, detections: r.detections });
  });

  it('splits lines at LF, CRLF and CR across gzip chunk boundaries like readline', async () => {
    const lines = zlib.gunzipSync(fs.readFileSync(LOG)).toString('utf8').split('\n').filter(Boolean);
    const ends = ['\r\n', '\r', '\n', '\r\n\r\n'];
    const text = lines.map((l, i) => l + ends[i % ends.length]).join('');
    fs.writeFileSync(path.join(dir, 'mixed-crlf.ndjson.gz'), zlib.gzipSync(text));
    const r = await replayFiles([path.join(dir, 'mixed-crlf.ndjson.gz')], { config: resolveConfig({}) });
    const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, 'mixed-2000.alerts.json'), 'utf8'));
    expect(r.stats).toMatchObject({ lines: 2000, events: 2000, errors: 0 });
    expect(JSON.parse(JSON.stringify(r.alerts))).toEqual(golden.alerts);
  });

  it('re-orders shuffled events within the buffer, stable for equal times', async () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const evs = Array.from({ length: 3000 }, (_, i) => ({ id: String(i), time: Math.floor(rnd() * 500) }) as DetectionEvent);
    async function* batches() {
      for (let i = 0; i < evs.length; i += 128) yield evs.slice(i, i + 128);
    }
    const out: DetectionEvent[] = [];
    for await (const b of reorderBatches(batches(), 5000)) out.push(...b);
    expect(out.map(e => e.time)).toEqual(evs.map(e => e.time).sort((x, y) => x - y));
    // with a small buffer the output is still a permutation and sorted wherever disorder fits the buffer
    const small: DetectionEvent[] = [];
    for await (const b of reorderBatches(batches(), 100)) small.push(...b);
    expect(small.map(e => e.id).sort()).toEqual(evs.map(e => e.id).sort());
  });

  it('keeps equal times in arrival order whatever the buffer size', async () => {
    const evs = [3, 1, 2, 1, 3, 2, 1].map((time, i) => ({ id: `e${i}`, time }) as DetectionEvent);
    async function* one() {
      yield evs;
    }
    for (const buffer of [7, 100]) {
      const out: DetectionEvent[] = [];
      for await (const b of reorderBatches(one(), buffer)) out.push(...b);
      expect(out.map(e => e.id)).toEqual(['e1', 'e3', 'e6', 'e2', 'e5', 'e0', 'e4']);
    }
  });

  it('holds few events while the input is in order and grows the buffer when disorder is seen', async () => {
    // in order except one event 50 positions late, then a block reversed over 300 positions
    const times = Array.from({ length: 2000 }, (_, i) => i * 10);
    times.splice(100, 0, times.splice(150, 1)[0] - 5);
    const block = times.slice(1000, 1300).reverse();
    times.splice(1000, 300, ...block);
    const evs = times.map((time, i) => ({ id: String(i), time }) as DetectionEvent);
    async function* batches() {
      for (let i = 0; i < evs.length; i += 64) yield evs.slice(i, i + 64);
    }
    const run = async (initial?: number) => {
      const out: number[] = [];
      for await (const b of reorderBatches(batches(), 5000, { initial })) out.push(...b.map(e => e.time));
      return out;
    };
    const sorted = [...times].sort((x, y) => x - y);
    // the whole buffer from the start: sorted
    expect(await run()).toEqual(sorted);
    // 100 held: the 50-late event fits; the reversed block is seen late once, then the buffer grows
    const adaptive = await run(100);
    expect(adaptive.slice(0, 1000)).toEqual(sorted.slice(0, 1000));
    expect(adaptive).not.toEqual(sorted);
    expect([...adaptive].sort((x, y) => x - y)).toEqual(sorted);
    // 400 held: everything fits, same as the full buffer
    expect(await run(400)).toEqual(sorted);
  });
});
