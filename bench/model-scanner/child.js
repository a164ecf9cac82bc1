/* Runs one measurement in a fresh process and prints JSON: scan (with/without hash) or plain sha256. */
const path = require('node:path');
const [mode, file] = process.argv.slice(2);
async function run() {
  if (mode === 'sha256') {
    const { createHash } = require('node:crypto');
    const fs = require('node:fs/promises');
    const t0 = process.hrtime.bigint();
    const fh = await fs.open(file, 'r');
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(8 << 20);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (!bytesRead) break;
      h.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    await fh.close();
    const digest = h.digest('hex');
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms, digest };
  }
  require(path.join(
    __dirname,
    '../../node_modules/@backstage/cli/config/nodeTransform.cjs',
  ));
  const { scanFile } = require('../../plugins/model-scanner/src/engine');
  const t0 = process.hrtime.bigint();
  const r = await scanFile(file, { hash: mode === 'scan' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // a second scan in the same process: the cost once the code is compiled (a CLI scanning a folder)
  const t1 = process.hrtime.bigint();
  await scanFile(file, { hash: mode === 'scan' });
  const warmMs = Number(process.hrtime.bigint() - t1) / 1e6;
  return {
    warmMs,
    ms,
    verdict: r.verdict,
    format: r.format,
    findings: r.findings.map(f => f.ruleId),
    errors: r.errors,
    digest: r.sha256,
  };
}
run().then(
  out => {
    out.maxRssMB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(JSON.stringify(out));
  },
  e => {
    process.stderr.write(String(e && e.stack));
    process.exit(1);
  },
);
