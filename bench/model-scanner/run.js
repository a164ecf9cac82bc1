#!/usr/bin/env node
/**
 * Model scanner benchmark. Generates three files into bench/.work/ (git-ignored):
 *   1. a 1 GiB PyTorch zip checkpoint (small data.pkl + 256 x 4 MiB stored storages)
 *   2. a 512 MiB pickle made of 128 x 4 MiB BINBYTES blocks
 *   3. a pickle of 5 million small integers
 * and measures, each in a fresh child process: the scan with hashing, the scan with --no-hash,
 * and plain SHA-256 of the same file; plus peak RSS (process.resourceUsage().maxRSS).
 * Usage: node bench/model-scanner/run.js [--keep] [--only checkpoint|blocks|ints] [--section inprocess|process]
 */
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { execFileSync } = require('node:child_process');

const WORK = path.resolve(__dirname, '../.work');
const MiB = 1 << 20;
fs.mkdirSync(WORK, { recursive: true });
const args = process.argv.slice(2);
const only = args.includes('--only')
  ? args[args.indexOf('--only') + 1]
  : undefined;

function writeAll(fd, buf) {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** protocol-2 torch-style state-dict pickle referencing n storages by persistent id */
function torchDataPkl(n) {
  const parts = [
    Buffer.from([0x80, 0x02]),
    Buffer.from('ccollections\nOrderedDict\nq\x00)Rq\x01(', 'latin1'),
  ];
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(`layer${i}.weight`);
    parts.push(Buffer.from([0x58]), u32(key.length), key);
    parts.push(Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n(', 'latin1'));
    const sk = Buffer.from(String(i));
    parts.push(
      Buffer.from('(X\x07\x00\x00\x00storage', 'latin1'),
      Buffer.from('ctorch\nFloatStorage\n', 'latin1'),
    );
    parts.push(
      Buffer.from([0x58]),
      u32(sk.length),
      sk,
      Buffer.from('X\x03\x00\x00\x00cpu', 'latin1'),
      Buffer.from([0x4a]),
      u32(MiB),
      Buffer.from('tQ', 'latin1'),
    );
    parts.push(
      Buffer.from([0x4b, 0x00]),
      Buffer.from(
        'J\x00\x04\x00\x00J\x00\x04\x00\x00\x86J\x00\x04\x00\x00K\x01\x86\x89ccollections\nOrderedDict\n)Rtq\x02R',
        'latin1',
      ),
    );
    parts.push(Buffer.from('u'.length ? '' : ''));
  }
  parts.push(Buffer.from('u.', 'latin1'));
  return Buffer.concat(parts);
}
function u32(v) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v, 0);
  return b;
}

function makeCheckpoint(file) {
  const block = crypto.randomBytes(4 * MiB);
  const crc = zlib.crc32(block);
  const fd = fs.openSync(file, 'w');
  const central = [];
  let offset = 0;
  const add = (name, data, dataCrc) => {
    const nm = Buffer.from(name);
    // PyTorch aligns storages to 64 bytes with an extra field; emulate with padding in "extra"
    const headerLen = 30 + nm.length;
    const pad = (64 - ((offset + headerLen + 4) % 64)) % 64;
    const extra = Buffer.alloc(pad + 4);
    extra.writeUInt16LE(0x4b46, 0); // 'FB' padding id, as torch writes
    extra.writeUInt16LE(pad, 2);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt32LE(dataCrc >>> 0, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(nm.length, 26);
    lh.writeUInt16LE(extra.length, 28);
    writeAll(fd, Buffer.concat([lh, nm, extra]));
    writeAll(fd, data);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(0x031e, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt32LE(dataCrc >>> 0, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(nm.length, 28);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, nm);
    offset += 30 + nm.length + extra.length + data.length;
  };
  const pkl = torchDataPkl(256);
  add('archive/data.pkl', pkl, zlib.crc32(pkl));
  add(
    'archive/byteorder',
    Buffer.from('little'),
    zlib.crc32(Buffer.from('little')),
  );
  for (let i = 0; i < 256; i++) add(`archive/data/${i}`, block, crc);
  add('archive/version', Buffer.from('3\n'), zlib.crc32(Buffer.from('3\n')));
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(central.length / 2, 8);
  eocd.writeUInt16LE(central.length / 2, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  writeAll(fd, Buffer.concat([cd, eocd]));
  fs.closeSync(fd);
}

function makeBlocks(file) {
  const block = crypto.randomBytes(4 * MiB);
  const fd = fs.openSync(file, 'w');
  writeAll(fd, Buffer.from([0x80, 0x04, 0x5d, 0x28]));
  for (let i = 0; i < 128; i++) {
    writeAll(fd, Buffer.concat([Buffer.from([0x42]), u32(block.length)]));
    writeAll(fd, block);
  }
  writeAll(fd, Buffer.from('e.', 'latin1'));
  fs.closeSync(fd);
}

function makeInts(file) {
  const fd = fs.openSync(file, 'w');
  const out = [];
  out.push(Buffer.from([0x80, 0x02, 0x5d]));
  const N = 5_000_000;
  for (let start = 0; start < N; start += 1000) {
    const b = Buffer.alloc(2 + 1000 * 5);
    let p = 0;
    b[p++] = 0x28;
    for (let i = start; i < start + 1000; i++) {
      if (i < 256) {
        b[p++] = 0x4b;
        b[p++] = i;
      } else if (i < 65536) {
        b[p++] = 0x4d;
        b.writeUInt16LE(i, p);
        p += 2;
      } else {
        b[p++] = 0x4a;
        b.writeInt32LE(i, p);
        p += 4;
      }
    }
    b[p++] = 0x65;
    out.push(b.subarray(0, p));
    if (out.length > 256) writeAll(fd, Buffer.concat(out.splice(0)));
  }
  out.push(Buffer.from('.'));
  writeAll(fd, Buffer.concat(out));
  fs.closeSync(fd);
}

const cases = [
  {
    id: 'checkpoint',
    file: 'torch_checkpoint_1g.pt',
    make: makeCheckpoint,
    label: '1 GiB PyTorch zip checkpoint',
    picklescan: 0.09,
    picklescanRss: 24,
    modelscan: 0.25,
  },
  {
    id: 'blocks',
    file: 'pickle_blocks_512m.pkl',
    make: makeBlocks,
    label: '512 MiB pickle, 128 x 4 MiB BINBYTES',
    picklescan: 2.0,
    picklescanRss: 547,
    modelscan: 2.2,
  },
  {
    id: 'ints',
    file: 'pickle_5m_ints.pkl',
    make: makeInts,
    label: 'pickle of 5 million small ints',
    picklescan: 25,
    picklescanRss: 690,
    modelscan: 22,
  },
].filter(c => !only || c.id === only);

function measure(mode, file) {
  const out = execFileSync(
    process.execPath,
    [path.join(__dirname, 'child.js'), mode, file],
    { encoding: 'utf8', maxBuffer: 16 * MiB },
  );
  return JSON.parse(out);
}

const section = args.includes('--section')
  ? args[args.indexOf('--section') + 1]
  : undefined;
const rows = [];
for (const c of section === 'process' ? [] : cases) {
  const file = path.join(WORK, c.file);
  if (!fs.existsSync(file)) {
    process.stderr.write(`generating ${c.file} ...\n`);
    c.make(file);
  }
  const size = fs.statSync(file).size;
  const mb = size / 1e6;
  measure('sha256', file); // warm the page cache so every measurement reads from memory
  const sha = measure('sha256', file);
  const withHash = measure('scan', file);
  const noHash = measure('nohash', file);
  if (withHash.digest !== sha.digest)
    throw new Error(`hash mismatch for ${c.file}`);
  const row = {
    ...c,
    size,
    shaMBs: mb / (sha.ms / 1000),
    shaMs: sha.ms,
    scanMs: withHash.ms,
    scanMBs: mb / (withHash.ms / 1000),
    scanRss: withHash.maxRssMB,
    noHashMs: noHash.ms,
    noHashWarmMs: noHash.warmMs,
    noHashMBs: mb / (noHash.ms / 1000),
    noHashRss: noHash.maxRssMB,
    verdict: withHash.verdict,
    format: withHash.format,
  };
  if (c.id === 'checkpoint') {
    row.targets = [
      [
        `with hashing >= 80% of SHA-256 throughput (${(
          (row.scanMBs / row.shaMBs) *
          100
        ).toFixed(0)}%)`,
        row.scanMBs >= 0.8 * row.shaMBs,
      ],
      [
        `--no-hash faster than picklescan's ${c.picklescan} s (fresh process ${(
          row.noHashMs / 1000
        ).toFixed(3)} s, second scan ${(row.noHashWarmMs / 1000).toFixed(
          3,
        )} s)`,
        row.noHashMs / 1000 < c.picklescan,
      ],
    ];
  } else {
    row.targets = [
      [
        `--no-hash >= 10x faster than picklescan's ${c.picklescan} s (${(
          c.picklescan /
          (row.noHashMs / 1000)
        ).toFixed(1)}x)`,
        row.noHashMs / 1000 <= c.picklescan / 10,
      ],
    ];
  }
  row.targets.push([
    `peak RSS < 200 MB (${Math.max(row.scanRss, row.noHashRss).toFixed(0)} MB)`,
    Math.max(row.scanRss, row.noHashRss) < 200,
  ]);
  rows.push(row);
  process.stderr.write(`${c.id}: done\n`);
}

const lines = [];
lines.push('## Benchmark (bench/model-scanner/run.js)');
lines.push('');
lines.push(
  `Measured ${new Date().toISOString()} on ${
    require('node:os').cpus().length
  } CPU(s), Node ${
    process.version
  }; files in the page cache; each measurement in a fresh process.`,
);
lines.push('');
lines.push(
  '| file | size | verdict | scan + SHA-256 | scan --no-hash (fresh process) | --no-hash, second scan in process | plain SHA-256 | peak RSS (hash / no-hash) | picklescan | modelscan |',
);
lines.push('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  lines.push(
    `| ${r.label} | ${(r.size / MiB).toFixed(0)} MiB | ${r.verdict} (${
      r.format
    }) | ${(r.scanMs / 1000).toFixed(3)} s, ${r.scanMBs.toFixed(0)} MB/s | ${(
      r.noHashMs / 1000
    ).toFixed(3)} s, ${r.noHashMBs.toFixed(0)} MB/s | ${(
      r.noHashWarmMs / 1000
    ).toFixed(3)} s | ${(r.shaMs / 1000).toFixed(3)} s, ${r.shaMBs.toFixed(
      0,
    )} MB/s | ${r.scanRss.toFixed(0)} / ${r.noHashRss.toFixed(0)} MB | ${
      r.picklescan
    } s, ${r.picklescanRss} MB | ${r.modelscan} s |`,
  );
}
lines.push('');
lines.push('Targets:');
for (const r of rows)
  for (const [t, ok] of r.targets)
    lines.push(`- ${r.label}: ${t}: ${ok ? 'MET' : 'NOT MET'}`);
if (rows.length) process.stdout.write(`${lines.join('\n')}\n`);
if (section !== 'inprocess') processBench();
if (!args.includes('--keep') && process.env.BENCH_CLEAN)
  fs.rmSync(WORK, { recursive: true, force: true });

/**
 * As a user runs it: one process per file. Wall time (median of several runs, hrtime around the
 * spawn) and peak RSS (GNU time's %M) of `bin/model-scan` (the bundled CLI) with --no-hash and with
 * hashing, the picklescan-equivalent Python process (picklescan_equiv.py: picklescan cannot be
 * installed offline) and plain `sha256sum`, all in this run, files in the page cache. Closed loop:
 * one process at a time.
 */
function processBench() {
  const { spawnSync } = require('node:child_process');
  const ROOT = path.resolve(__dirname, '../..');
  const BIN = path.join(ROOT, 'plugins/model-scanner/bin/model-scan');
  const FIX = path.join(ROOT, 'plugins/model-scanner/fixtures/benign');
  const PY = '/usr/bin/python3';
  const TIME = '/usr/bin/time';
  if (!fs.existsSync(TIME)) {
    process.stdout.write(
      '\n(process benchmark skipped: /usr/bin/time is missing)\n',
    );
    return;
  }
  const hasPy = fs.existsSync(PY);
  const files = [
    ['small pickle (341 B)', path.join(FIX, 'python_data_p0.pkl')],
    ['sklearn pipeline pickle', path.join(FIX, 'sklearn_pipeline.pkl')],
    ['PyTorch state dict (zip)', path.join(FIX, 'torch_state_dict.pt')],
    ['PyTorch full module (zip)', path.join(FIX, 'torch_full_module_rich.pt')],
    ['NumPy npz', path.join(FIX, 'numpy_archive.npz')],
    ...cases.map(c => [c.label, path.join(WORK, c.file), c]),
  ];
  for (const [, f, c] of files)
    if (!fs.existsSync(f) && c) {
      process.stderr.write(`generating ${c.file} ...\n`);
      c.make(f);
    }
  const once = (cmd, argv) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(TIME, ['-f', '%M', cmd, ...argv], {
      encoding: 'utf8',
      maxBuffer: 64 * MiB,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const rssKb = Number(String(r.stderr).trim().split('\n').pop());
    return { ms, rssMB: rssKb / 1024, code: r.status, out: r.stdout };
  };
  // build the bundle once (bin/model-scan does it when stale) and warm the page cache
  once(process.execPath, [BIN, '--no-hash', files[0][1]]);
  const out = [];
  for (const [label, file] of files) {
    const size = fs.statSync(file).size;
    const reps = size > 64 * MiB ? 3 : 7;
    once('sha256sum', [file]);
    // interleaved (one run of each command per round), so load changes on the shared machine hit
    // every command alike; the Python equivalent is slow on opcode-heavy pickles: when its first run
    // takes over 2 s it is not repeated
    const cmds = {
      ours: [process.execPath, [BIN, '--no-hash', '--format', 'json', file]],
      oursHash: [process.execPath, [BIN, '--format', 'json', file]],
      sha: ['sha256sum', [file]],
      ...(hasPy
        ? {
            ps: [PY, [path.join(__dirname, 'picklescan_equiv.py'), '-p', file]],
          }
        : {}),
    };
    const runs = Object.fromEntries(Object.keys(cmds).map(k => [k, []]));
    for (let i = 0; i < reps; i++)
      for (const [k, [cmd, argv]] of Object.entries(cmds))
        if (k !== 'ps' || i === 0 || runs.ps[0].ms < 2000)
          runs[k].push(once(cmd, argv));
    const summary = list => {
      const ms = list.map(r => r.ms).sort((a, b) => a - b);
      return {
        ms: ms[Math.floor(ms.length / 2)],
        rssMB: Math.max(...list.map(r => r.rssMB)),
        code: list[0].code,
        out: list[0].out,
      };
    };
    const ours = summary(runs.ours);
    const oursHash = summary(runs.oursHash);
    const sha = summary(runs.sha);
    const ps = hasPy ? summary(runs.ps) : undefined;
    let verdict = '?';
    try {
      const doc = JSON.parse(ours.out);
      verdict = `${doc.files[0].verdict} (${doc.files[0].format})`;
    } catch {
      verdict = `exit ${ours.code}`;
    }
    out.push({ label, size, ours, oursHash, sha, ps, verdict });
    process.stderr.write(`process: ${label} done\n`);
  }
  const fmtSize = b =>
    b >= MiB ? `${(b / MiB).toFixed(0)} MiB` : `${(b / 1024).toFixed(1)} KiB`;
  const s = ms => `${(ms / 1000).toFixed(3)} s`;
  const lines = [];
  lines.push('');
  lines.push(
    '## Per-file process benchmark (bench/model-scanner/run.js --section process)',
  );
  lines.push('');
  lines.push(
    `Measured ${new Date().toISOString()}, load average ${require('node:os')
      .loadavg()
      .map(x => x.toFixed(1))
      .join(
        ' ',
      )} at the end; median wall time of 7 interleaved rounds (3 above 64 MiB; the Python equivalent once when a run takes over 2 s), closed loop, one process at a time; peak RSS is the largest of the runs.`,
  );
  lines.push('');
  lines.push(
    '| file | size | verdict | model-scan --no-hash | model-scan (SHA-256 on) | picklescan-equivalent (python3) | sha256sum |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const r of out) {
    const mbs = ms => `${(r.size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
    lines.push(
      `| ${r.label} | ${fmtSize(r.size)} | ${r.verdict} | ${s(
        r.ours.ms,
      )}, ${r.ours.rssMB.toFixed(0)} MB | ${s(r.oursHash.ms)} (${mbs(
        r.oursHash.ms,
      )}), ${r.oursHash.rssMB.toFixed(0)} MB | ${
        r.ps ? `${s(r.ps.ms)}, ${r.ps.rssMB.toFixed(0)} MB` : 'python3 missing'
      } | ${s(r.sha.ms)} (${mbs(r.sha.ms)}), ${r.sha.rssMB.toFixed(0)} MB |`,
    );
  }
  lines.push('');
  lines.push('Targets (process):');
  for (const r of out) {
    if (r.ps)
      lines.push(
        `- ${
          r.label
        }: --no-hash faster than the picklescan-equivalent process (${s(
          r.ours.ms,
        )} vs ${s(r.ps.ms)}): ${r.ours.ms < r.ps.ms ? 'MET' : 'NOT MET'}`,
      );
    if (r.size > 64 * MiB)
      lines.push(
        `- ${r.label}: with hashing >= 0.8x sha256sum throughput (${(
          r.sha.ms / r.oursHash.ms
        ).toFixed(2)}x): ${
          r.sha.ms / r.oursHash.ms >= 0.8 ? 'MET' : 'NOT MET'
        }`,
      );
    const rss = Math.max(r.ours.rssMB, r.oursHash.rssMB);
    lines.push(
      `- ${r.label}: peak RSS < 200 MB (${rss.toFixed(0)} MB): ${
        rss < 200 ? 'MET' : 'NOT MET'
      }`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
