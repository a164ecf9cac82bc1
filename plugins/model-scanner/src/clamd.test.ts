import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanFile } from './engine';
import { clamdScanFile } from './clamd';

const CLAMD_CANDIDATES = [
  '/usr/sbin/clamd',
  '/usr/bin/clamd',
  '/usr/local/sbin/clamd',
];
const SIGNATURE_TEXT = 'FRONTIER-GUARD-TEST-SIGNATURE';

/**
 * Starts a real clamd from Debian's clamav-daemon with a signature database written here
 * (freshclam cannot reach its mirrors).
 */
describe('ClamAV (real clamd over INSTREAM)', () => {
  let dir: string;
  let clamd: ChildProcess | undefined;
  let socket: string;

  beforeAll(async () => {
    const bin = CLAMD_CANDIDATES.find(p => fs.existsSync(p));
    if (!bin) {
      throw new Error(
        'clamd is not installed: run `apt-get install -y clamav-daemon` (the ClamAV test needs a real clamd)',
      );
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clamd-test-'));
    fs.mkdirSync(path.join(dir, 'db'));
    fs.writeFileSync(
      path.join(dir, 'db', 'frontier.ndb'),
      `FrontierGuard.Test.Sig:0:*:${Buffer.from(SIGNATURE_TEXT).toString(
        'hex',
      )}\n`,
    );
    socket = path.join(dir, 'clamd.sock');
    fs.writeFileSync(
      path.join(dir, 'clamd.conf'),
      [
        `LocalSocket ${socket}`,
        `DatabaseDirectory ${path.join(dir, 'db')}`,
        'Foreground yes',
        `LogFile ${path.join(dir, 'clamd.log')}`,
        `TemporaryDirectory ${dir}`,
        'StreamMaxLength 100M',
        '',
      ].join('\n'),
    );
    clamd = spawn(bin, ['-c', path.join(dir, 'clamd.conf')], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(socket)) {
      if (clamd.exitCode !== null)
        throw new Error(
          `clamd exited with ${clamd.exitCode}: ${fs.readFileSync(
            path.join(dir, 'clamd.log'),
            'utf8',
          )}`,
        );
      if (Date.now() > deadline)
        throw new Error('clamd did not create its socket within 60 s');
      await new Promise(r => setTimeout(r, 200));
    }
  }, 90_000);

  afterAll(async () => {
    if (clamd && clamd.exitCode === null) {
      const exited = new Promise(r => clamd!.once('exit', r));
      clamd.kill('SIGTERM');
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports a signature match as a malicious finding (AML.T0010.003)', async () => {
    const file = path.join(dir, 'weights.bin');
    fs.writeFileSync(
      file,
      Buffer.concat([
        Buffer.alloc(3 << 20, 1),
        Buffer.from(SIGNATURE_TEXT),
        Buffer.alloc(1000),
      ]),
    );
    const raw = await clamdScanFile(file, { socket });
    expect(raw).toMatchObject({
      found: true,
      signature: expect.stringContaining('FrontierGuard.Test.Sig'),
    });
    const r = await scanFile(file, { clamd: { socket } });
    expect(r.verdict).toBe('malicious');
    const f = r.findings.find(x => x.ruleId === 'CLAMAV_FOUND')!;
    expect(f.atlas).toContain('AML.T0010.003');
    expect(f.details).toMatchObject({
      signature: expect.stringContaining('FrontierGuard.Test.Sig'),
    });
  });

  it('adds nothing for a clean file', async () => {
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'just some text\n');
    expect(await clamdScanFile(file, { socket })).toMatchObject({
      found: false,
    });
    const r = await scanFile(file, { clamd: { socket } });
    expect(r.verdict).toBe('safe');
    expect(r.findings).toEqual([]);
  });

  it('turns an unreachable clamd into an error, not a silent pass', async () => {
    const file = path.join(dir, 'notes2.txt');
    fs.writeFileSync(file, 'text\n');
    const r = await scanFile(file, {
      clamd: { socket: path.join(dir, 'missing.sock'), timeoutMs: 2000 },
    });
    expect(r.errors.join(' ')).toMatch(/clamd/);
    expect(r.verdict).toBe('error');
  });
});
