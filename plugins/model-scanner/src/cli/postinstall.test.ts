/**
 * The workspace postinstall (package.json `postinstall`, scripts/build-cli.js) never fails an
 * install: in a production install of the backend skeleton (package.json only), without esbuild,
 * or with sources that do not build, it prints one line and exits 0; with everything present it
 * builds the bundle.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const PKG_DIR = path.resolve(__dirname, '../..');
const POSTINSTALL: string = JSON.parse(
  fs.readFileSync(path.join(PKG_DIR, 'package.json'), 'utf8'),
).scripts.postinstall;
const ESBUILD = path.dirname(
  require.resolve('esbuild/package.json', { paths: [PKG_DIR] }),
);

/** A workspace folder in a fresh temporary directory (no node_modules above it). */
function workspace(parts: {
  scripts?: boolean;
  main?: string;
  esbuild?: boolean;
}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-scan-postinstall-'));
  fs.copyFileSync(
    path.join(PKG_DIR, 'package.json'),
    path.join(dir, 'package.json'),
  );
  if (parts.scripts) {
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.copyFileSync(
      path.join(PKG_DIR, 'scripts/build-cli.js'),
      path.join(dir, 'scripts/build-cli.js'),
    );
  }
  if (parts.main !== undefined) {
    fs.mkdirSync(path.join(dir, 'src/cli'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/cli/main.ts'), parts.main);
  }
  if (parts.esbuild) {
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(ESBUILD, path.join(dir, 'node_modules/esbuild'), 'dir');
  }
  return dir;
}

/** Runs the postinstall command the way a package manager does (a shell in the workspace folder). */
function postinstall(dir: string) {
  const r = spawnSync('sh', ['-c', POSTINSTALL], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: '' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('workspace postinstall', () => {
  const dirs: string[] = [];
  const make = (parts: Parameters<typeof workspace>[0]) => {
    const d = workspace(parts);
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('skips with one line in a skeleton (package.json only)', () => {
    const r = postinstall(make({}));
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual([
      'model-scanner: CLI bundle not built (scripts absent); skipped',
    ]);
  });

  it('skips with one line when the sources are absent', () => {
    const r = postinstall(make({ scripts: true, esbuild: true }));
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual([
      'model-scanner: CLI bundle not built (sources absent); skipped',
    ]);
  });

  it('skips with one line when esbuild is absent (production dependencies only)', () => {
    const dir = make({ scripts: true, main: 'export const main = 1;\n' });
    const r = postinstall(dir);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual([
      'model-scanner: CLI bundle not built (esbuild absent); skipped',
    ]);
    expect(fs.existsSync(path.join(dir, 'dist-cli'))).toBe(false);
  });

  it('reports a source that does not build in one line and still exits 0', () => {
    const dir = make({
      scripts: true,
      main: 'export const = ;\n',
      esbuild: true,
    });
    const r = postinstall(dir);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^model-scanner: CLI bundle not built \(.*main\.ts:1: .+\); skipped$/,
    );
    expect(fs.existsSync(path.join(dir, 'dist-cli/model-scan.cjs'))).toBe(
      false,
    );
  });

  it('builds the bundle when the sources and esbuild are there', () => {
    const dir = make({
      scripts: true,
      main: 'export const main = async (argv: string[]) => argv.length;\n',
      esbuild: true,
    });
    const r = postinstall(dir);
    expect(r).toEqual({ code: 0, out: '' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(path.join(dir, 'dist-cli/model-scan.cjs'));
    expect(typeof bundle.main).toBe('function');
  });
});
