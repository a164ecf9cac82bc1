import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '../../bin/posture');

function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, INIT_CWD: '', ...env }, encoding: 'utf8' }, (error, out, err) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, out, err });
    });
  });
}

describe('bin/posture', () => {
  it('re-executes itself with small semi-spaces and passes the exit code and output through', async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'posture-bin-'));
    try {
      await fsp.writeFile(path.join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: research\n');
      await fsp.writeFile(path.join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: [unclosed\n');
      const report = path.join(dir, 'out.json');
      const ok = await runBin([path.join(dir, 'ns.yaml'), '--format', 'json', '--output', report]);
      // a namespace without default-deny egress fails: exit 1, report written by the re-executed child
      expect(ok.code).toBe(1);
      expect(JSON.parse(await fsp.readFile(report, 'utf8')).summary.fail).toBeGreaterThan(0);
      const bad = await runBin([path.join(dir, 'bad.yaml')]);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/bad\.yaml/);
      // with the flag already given it runs the CLI directly
      const flagged = await runBin(['--help'], { NODE_OPTIONS: '--max-semi-space-size=8' });
      expect(flagged.code).toBe(0);
      expect(flagged.out).toMatch(/^Usage:/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
