import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { PassThrough } from 'node:stream';
import { main } from './main';
import { resolveConfig } from '../config';
import { DetectionEngine, groupAlerts } from '../engine';
import { parseLine } from '../reader';
import { mergeAlerts, planJobs, replayParallel, sniffSources, sourceFamilies } from '../replayParallel';
import * as b from '../testing/builders';
import type { Detection, SourceId } from '../types';

const GOLDEN_LOG = path.join(__dirname, '..', '__golden__', 'replay', 'mixed-2000.ndjson.gz');
const D = '2026-11-03T09:00:00Z';
const at = (m: number) => b.iso(D, m);

async function cli(args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: string[] = [];
  const errs: string[] = [];
  out.on('data', c => chunks.push(String(c)));
  err.on('data', c => errs.push(String(c)));
  const code = await main(args, { stdout: out, stderr: err });
  // the elapsed time is the one part of the output that may differ between two runs
  return { code, stdout: chunks.join(''), stderr: errs.join('').replace(/ in \d+\.\d s /, ' in T s ') };
}

const familyOf: Record<SourceId, string> = {
  entra_signin: 'identity',
  portal_audit: 'identity',
  entra_risk: 'risk',
  storage_blob: 'storage',
  k8s_audit: 'k8s',
  azure_firewall: 'network',
  hubble: 'network',
};

// child processes load the CLI through the TypeScript transform (~0.3 s each, more under load)
jest.setTimeout(180_000);

describe('parallel replay by source family', () => {
  let dir: string;
  const f = (name: string) => path.join(dir, name);
  let byFamily: Record<string, string[]>;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'detections-parallel-'));
    const lines = zlib.gunzipSync(fs.readFileSync(GOLDEN_LOG)).toString('utf8').split('\n').filter(Boolean);
    byFamily = {};
    for (const l of lines) (byFamily[familyOf[parseLine(l).events[0].source]] ??= []).push(l);
    // a small storage file (so it is not the largest job, which runs in the parent): mallory reads
    // 40 weight shards without a grant
    const W = { account: 'frontierweights', container: 'frontier-70b' };
    const storage = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify(b.diagnosticBlobLog({ time: at(i), ...W, blob: `m-${i}.safetensors`, bytes: 4 * b.GiB, upn: 'mallory@contoso.com', objectId: 'oid-m', ip: '20.1.1.1', correlationId: `corr-m-${i}` })),
    );
    // bad lines in files of two different jobs
    fs.writeFileSync(f('identity.ndjson'), `${byFamily.identity.slice(0, 5).join('\n')}\nnot json\n${byFamily.identity.slice(5).join('\r\n')}\n`);
    fs.writeFileSync(f('k8s.ndjson.gz'), zlib.gzipSync(`${byFamily.k8s.join('\n')}\n{"x": 1}\n`));
    fs.writeFileSync(f('network.ndjson'), `\ufeff${byFamily.network.join('\n')}\n`);
    fs.writeFileSync(f('storage.ndjson'), `${storage.join('\n')}\n`);
    fs.writeFileSync(f('storage-golden.ndjson'), `${byFamily.storage.join('\n')}\n`);
    // a file whose first 500 lines are sign-ins and whose end holds Kubernetes events: its start
    // does not show the second family
    fs.writeFileSync(f('late-mix.ndjson'), `${[...byFamily.identity.slice(0, 340), ...byFamily.identity.slice(0, 200), ...byFamily.k8s.slice(0, 100)].join('\n')}\n`);
    // a file mixed from its first lines: k8s and network
    fs.writeFileSync(f('mixed.ndjson'), `${[...byFamily.k8s.slice(0, 50), ...byFamily.network.slice(0, 50)].sort().join('\n')}\n`);
    fs.writeFileSync(f('corrupt.ndjson.gz'), Buffer.concat([zlib.gzipSync('{"a": 1}\n').subarray(0, 10), Buffer.from('this is not deflate data at all, nothing of it')]));
    // the same with a gzip trailer claiming 0 bytes: the smallest job, so a child process's
    fs.writeFileSync(f('corrupt-small.ndjson.gz'), Buffer.concat([fs.readFileSync(f('corrupt.ndjson.gz')), Buffer.alloc(8)]));
    fs.writeFileSync(f('empty-grants.json'), JSON.stringify({ generatedAt: at(0), grants: [] }));
    fs.writeFileSync(f('config.yaml'), 'detections:\n  disabledRules: [atypical-travel, k8s-cluster-admin-binding, egress-denied-research-namespace, weight-store-bulk-read]\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('joins sources that one rule reads into one family, from the enabled rules', () => {
    const fam = sourceFamilies(new DetectionEngine({ config: resolveConfig({}) }));
    // break-glass-use reads portal audit and sign-ins; the firewall Sigma logsource and egress rule firewall and Hubble
    expect(fam.get('entra_signin')).toBe('entra_signin+portal_audit');
    expect(fam.get('portal_audit')).toBe('entra_signin+portal_audit');
    expect(fam.get('entra_risk')).toBe('entra_risk');
    expect(fam.get('storage_blob')).toBe('storage_blob');
    expect(fam.get('k8s_audit')).toBe('k8s_audit');
    expect(fam.get('hubble')).toBe('azure_firewall+hubble');
    expect(new Set(fam.values()).size).toBe(5);
    // with break-glass-use disabled nothing reads both portal audit and sign-ins
    const without = sourceFamilies(new DetectionEngine({ config: resolveConfig({ disabledRules: ['break-glass-use'] }) }));
    expect(without.get('portal_audit')).toBe('portal_audit');
    expect(without.get('entra_signin')).toBe('entra_signin');
    // Hubble stays with the firewall without the rules joining them (the engine's pod IP map)
    const noNet = sourceFamilies(new DetectionEngine({ config: resolveConfig({ disabledRules: ['egress-denied-research-namespace'] }), sigmaRules: [] }));
    expect(noNet.get('hubble')).toBe('azure_firewall+hubble');
  });

  it('sniffs the sources of a file from its first lines, gzip and BOM included', () => {
    expect([...sniffSources(f('k8s.ndjson.gz'))]).toEqual(['k8s_audit']);
    expect([...sniffSources(f('network.ndjson'))].sort()).toEqual(['azure_firewall', 'hubble']);
    expect([...sniffSources(f('late-mix.ndjson'))]).toEqual(['entra_signin']);
    expect([...sniffSources(f('mixed.ndjson'))].sort()).toEqual(['azure_firewall', 'hubble', 'k8s_audit']);
    expect(sniffSources(f('corrupt.ndjson.gz')).size).toBe(0);
    expect(sniffSources(f('empty-grants.json')).size).toBe(0);
  });

  it('plans jobs: files sharing a family together (also through a mixed file), unknown files alone, at most N jobs', () => {
    const fam = sourceFamilies(new DetectionEngine({ config: resolveConfig({}) }));
    const s = (...x: SourceId[]) => new Set<SourceId>(x);
    const sniffed = [s('k8s_audit'), s('hubble'), s('entra_signin'), s('azure_firewall'), s('k8s_audit', 'portal_audit'), s()];
    expect(planJobs(sniffed, fam, [10, 10, 10, 10, 10, 10], 8)).toEqual([[0, 2, 4], [1, 3], [5]]);
    expect(planJobs(sniffed, fam, [10, 10, 10, 10, 10, 100], 8)).toEqual([[5], [0, 2, 4], [1, 3]]);
    // two jobs: groups packed largest first onto the least loaded job
    expect(planJobs(sniffed, fam, [10, 10, 10, 10, 10, 5], 2)).toEqual([[0, 2, 4], [1, 3, 5]]);
    expect(planJobs(sniffed, fam, [10, 10, 10, 10, 10, 10], 1)).toEqual([[0, 1, 2, 3, 4, 5]]);
  });

  it('gives byte-identical output to one process on per-family files (json, --details, table, stats, errors), with --grants and --config in every job', async () => {
    const files = ['identity.ndjson', 'k8s.ndjson.gz', 'network.ndjson', 'storage.ndjson'].map(f);
    for (const extra of [[], ['--details'], ['--format', 'table'], ['--grants', f('empty-grants.json'), '--details'], ['--config', f('config.yaml'), '--grants', f('empty-grants.json')]]) {
      const one = await cli(['replay', ...files, '--jobs', '1', ...extra]);
      const par = await cli(['replay', ...files, '--jobs', '4', ...extra]);
      expect(one.code).toBe(0);
      expect(par).toEqual(one);
      expect(par.stderr).toContain('identity.ndjson:6: not JSON');
      expect(par.stderr).toMatch(/k8s\.ndjson\.gz:\d+: unrecognised record/);
      // errors listed by file in the order given
      expect(par.stderr.indexOf('identity.ndjson:6')).toBeLessThan(par.stderr.indexOf('k8s.ndjson.gz:'));
    }
    const withGrants = JSON.parse((await cli(['replay', ...files, '--grants', f('empty-grants.json')])).stdout).alerts.map((a: any) => a.rule);
    expect(withGrants).toContain('weight-store-read-without-grant');
    const configured = JSON.parse((await cli(['replay', ...files, '--config', f('config.yaml')])).stdout).alerts.map((a: any) => a.rule);
    const plain = JSON.parse((await cli(['replay', ...files])).stdout).alerts.map((a: any) => a.rule);
    for (const r of ['atypical-travel', 'k8s-cluster-admin-binding', 'egress-denied-research-namespace', 'weight-store-bulk-read']) {
      expect(plain).toContain(r);
      expect(configured).not.toContain(r);
    }
    // the same files, in jobs: the parent runs the largest, the small storage file is in a child
    const jobs: string[][][] = [];
    const r = await replayParallel(files, { config: resolveConfig({}), jobs: 4, childArgs: [], onPlan: p => jobs.push(p) });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toHaveLength(4);
    expect(jobs[0].slice(1).some(job => job.includes(f('storage.ndjson')))).toBe(true);
    expect(jobs[0].find(job => job.includes(f('storage.ndjson')))).toEqual([f('storage.ndjson')]);
    expect(r.stats.events).toBe(2000 - byFamily.storage.length + 40);
    // the golden day's storage file joins the group of the other storage file
    const both = await replayParallel([...files, f('storage-golden.ndjson')], { config: resolveConfig({}), jobs: 4, childArgs: [], onPlan: p => jobs.push(p) });
    expect(jobs[1].find(job => job.includes(f('storage.ndjson')))).toEqual([f('storage.ndjson'), f('storage-golden.ndjson')]);
    expect(both.stats.events).toBe(2000 + 40);
    const one = await cli(['replay', ...files, f('storage-golden.ndjson'), '--jobs', '1', '--details']);
    expect(await cli(['replay', ...files, f('storage-golden.ndjson'), '--details'])).toEqual(one);
  });

  it('keeps a file mixed from its first lines in one job with every file sharing a family with it', async () => {
    const files = ['identity.ndjson', 'k8s.ndjson.gz', 'network.ndjson', 'mixed.ndjson'].map(f);
    const jobs: string[][][] = [];
    await replayParallel(files, { config: resolveConfig({}), jobs: 4, childArgs: [], onPlan: p => jobs.push(p) });
    expect(jobs[0].map(j => j.map(x => path.basename(x))).sort()).toEqual([['identity.ndjson'], ['k8s.ndjson.gz', 'network.ndjson', 'mixed.ndjson']]);
    const one = await cli(['replay', ...files, '--jobs', '1', '--details']);
    expect(await cli(['replay', ...files, '--details'])).toEqual(one);
  });

  it('replays in one process, saying so, when a family turns up in two jobs', async () => {
    const files = ['late-mix.ndjson', 'k8s.ndjson.gz', 'network.ndjson'].map(f);
    const notices: string[] = [];
    const jobs: string[][][] = [];
    await replayParallel(files, { config: resolveConfig({}), jobs: 4, childArgs: [], notice: m => notices.push(m), onPlan: p => jobs.push(p) });
    expect(jobs[0]).toHaveLength(3); // sniffed as three families
    expect(notices).toHaveLength(1);
    const one = await cli(['replay', ...files, '--jobs', '1', '--details']);
    const par = await cli(['replay', ...files, '--details']);
    expect(par.stdout).toBe(one.stdout);
    expect(par.code).toBe(one.code);
    expect(par.stderr).toBe(`detections: ${notices[0]}\n${one.stderr}`);
  });

  it.each(['corrupt.ndjson.gz', 'corrupt-small.ndjson.gz'])('fails as one process does when a job cannot read its file (%s)', async corrupt => {
    const files = ['identity.ndjson', corrupt, 'network.ndjson'].map(f);
    const jobs: string[][][] = [];
    await replayParallel(files, { config: resolveConfig({}), jobs: 3, childArgs: [], onPlan: p => jobs.push(p) }).catch(() => undefined);
    expect(jobs[0]).toHaveLength(3);
    expect(jobs[0].findIndex(job => job.includes(f(corrupt)))).toBe(corrupt === 'corrupt.ndjson.gz' ? 0 : 2);
    const one = main(['replay', ...files, '--jobs', '1'], { stdout: new PassThrough(), stderr: new PassThrough() });
    await expect(one).rejects.toThrow(/incorrect header check|invalid|unexpected end/);
    const error = await one.catch(e => e);
    const par = await main(['replay', ...files, '--jobs', '3'], { stdout: new PassThrough(), stderr: new PassThrough() }).catch(e => e);
    expect(typeof par.message).toBe('string');
    expect(par.message).toBe(error.message);
    expect(par.code).toBe(error.code);
    // through the bin: exit code 2 and the same first line on stderr
    const bin = path.join(__dirname, '..', '..', 'bin', 'detections');
    const run = (extra: string[]) => spawnSync(process.execPath, [bin, 'replay', ...files, ...extra], { encoding: 'utf8' });
    const oneBin = run(['--jobs', '1']);
    const parBin = run(['--jobs', '3']);
    expect(oneBin.status).toBe(2);
    expect(parBin.status).toBe(2);
    expect(parBin.stderr.split('\n')[0]).toBe(oneBin.stderr.split('\n')[0]);
    expect(parBin.stdout).toBe('');
  });

  it('merges the alerts of jobs into the order groupAlerts gives them all (equal first-seen times and severities)', () => {
    let seed = 11;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const severities = ['low', 'medium', 'high'] as const;
    const detections: Detection[] = Array.from({ length: 3000 }, () => ({
      rule: `rule-${rand(6)}`,
      title: 't',
      severity: severities[rand(3)],
      principal: `p${rand(4)}`,
      resource: `r${rand(3)}`,
      time: Date.UTC(2026, 10, 3) + rand(40) * 60_000,
      eventIds: [`e${rand(100000)}`],
    }));
    const opts = { windowMinutes: 5 };
    const all = groupAlerts(detections, opts);
    // rules 0-1, 2-4 and 5 in three jobs
    const job = (d: Detection) => (d.rule < 'rule-2' ? 0 : d.rule < 'rule-5' ? 1 : 2);
    const lists = [0, 1, 2].map(j => groupAlerts(detections.filter(d => job(d) === j), opts));
    expect(mergeAlerts(lists.map(l => JSON.parse(JSON.stringify(l))))).toEqual(JSON.parse(JSON.stringify(all)));
    expect(mergeAlerts([lists[2], lists[0], lists[1]])).toEqual(all);
  });

  it('checks --jobs', async () => {
    expect((await cli(['replay', f('identity.ndjson'), '--jobs', '0'])).stderr).toMatch(/--jobs must be a whole number/);
    expect((await cli(['replay', f('identity.ndjson'), '--jobs', 'x'])).code).toBe(2);
    // replay-job is only for the replay's own child processes
    expect((await cli(['replay-job', f('identity.ndjson')])).stderr).toMatch(/replay-job is run by replay itself/);
  });
});
