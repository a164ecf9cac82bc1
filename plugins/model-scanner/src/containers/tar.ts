/** POSIX/GNU tar walker (legacy PyTorch tar checkpoints, OCI layers, generic tar). */
import type { FormatScanContext } from '../types';
import { SliceByteSource } from '../byteSource';
import { finding } from '../rules';
import { isTraversal, traversalFinding } from './paths';
import { scanPickle } from '../pickleScan';
import type { FileScan } from '../fileScan';

function octal(b: Buffer): number {
  if (b[0] & 0x80) {
    // base-256
    let v = 0;
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i];
    return v;
  }
  const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  if (h.length < 512) return false;
  const stored = octal(h.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum === stored && sum !== 8 * 0x20;
}

export function looksLikeTar(head: Buffer): boolean {
  if (head.length < 512) return false;
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  return checksumOk(head.subarray(0, 512));
}

export async function scanTar(
  ctx: FormatScanContext & { scan: FileScan },
): Promise<void> {
  const src = ctx.source;
  let off = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  const names: string[] = [];
  const parent = ctx.scan.memberOf(src);
  const files: Array<{ name: string; dataOff: number; size: number }> = [];
  let n = 0;
  while (off + 512 <= src.size) {
    const h = await src.read(off, 512);
    if (h.every(b => b === 0)) break;
    if (!checksumOk(h)) {
      ctx.report(
        finding(
          'ZIP_MALFORMED',
          `Invalid tar header checksum at offset ${off}.`,
          { offset: off },
        ),
      );
      break;
    }
    const size = octal(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] || 0x30);
    let name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    if (h.subarray(257, 262).toString('latin1') === 'ustar') {
      const prefix = h
        .subarray(345, 500)
        .toString('utf8')
        .replace(/\0.*$/s, '');
      if (prefix) name = `${prefix}/${name}`;
    }
    const dataOff = off + 512;
    const next = dataOff + Math.ceil(size / 512) * 512;
    if (dataOff + size > src.size) {
      ctx.report(
        finding(
          'ZIP_MALFORMED',
          `Tar member ${name} runs past the end of the file.`,
          { offset: off },
        ),
      );
      break;
    }
    if (type === 'L' || type === 'x') {
      const meta = (await src.read(dataOff, Math.min(size, 1 << 20))).toString(
        'utf8',
      );
      if (type === 'L') longName = meta.replace(/\0.*$/s, '');
      else {
        const m = /\d+ path=([^\n]*)\n/.exec(meta);
        if (m) paxPath = m[1];
      }
      off = next;
      continue;
    }
    if (type === 'g' || type === 'K') {
      off = next;
      continue;
    }
    name = paxPath ?? longName ?? name;
    paxPath = longName = undefined;
    names.push(name);
    n++;
    if (n > ctx.limits.maxMembers) {
      ctx.report(
        finding(
          'ARCHIVE_TOO_MANY_MEMBERS',
          `The tar archive has more than ${ctx.limits.maxMembers} members.`,
        ),
      );
      break;
    }
    const loc = { member: parent ? `${parent}!/${name}` : name };
    if (isTraversal(name))
      ctx.report(traversalFinding(name, 'tar member', loc, { name }));
    if (type === '1' || type === '2') {
      const target = h
        .subarray(157, 257)
        .toString('utf8')
        .replace(/\0.*$/s, '');
      ctx.report(
        finding(
          'ARCHIVE_LINK',
          `The tar member ${name} is a ${
            type === '2' ? 'symbolic' : 'hard'
          } link to ${target}.`,
          loc,
          { name, target },
        ),
      );
    } else if ((type === '0' || type === '7' || h[156] === 0) && size > 0) {
      files.push({ name, dataOff, size });
    }
    off = next;
  }
  const base = names.map(x => x.replace(/^\.\//, ''));
  const torchTar = base.includes('pickle') && base.includes('storages');
  ctx.setFormat(torchTar ? 'pytorch-tar' : 'tar');
  for (const f of files) {
    const member = new SliceByteSource(
      src,
      f.dataOff,
      f.size,
      `${src.name}!/${f.name}`,
    );
    const bare = f.name.replace(/^\.\//, '');
    if (torchTar && (bare === 'storages' || bare === 'tensors')) {
      const memberCtx = ctx.scan.context(member, ctx.depth + 1);
      await scanPickle(ctx.scan, member, memberCtx, true, 0, member.size, bare);
    } else {
      await ctx.scanNested(member);
    }
  }
}
