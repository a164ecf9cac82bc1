import { randomBytes, randomInt } from 'node:crypto';

/** 48 random bits naming this process (replicas never share an id space). */
const PROCESS = randomBytes(6).toString('hex');
let counter = randomInt(0, 1 << 24);

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * A time-ordered UUID (version 7 layout: 48-bit milliseconds, then a 24-bit counter, then 48
 * process-random bits). Ids of one batch sort after the previous batch's, so the primary-key
 * index grows at its end instead of at random places (random v4 ids made every insert of a
 * large table touch a random page).
 */
export function timeOrderedUuid(ms: number): string {
  counter = (counter + 1) & 0xffffff;
  const t = hex(Math.max(0, Math.floor(ms)) % 2 ** 48, 12);
  const hi = (counter >>> 12) & 0xfff;
  const lo = counter & 0xfff;
  return `${t.slice(0, 8)}-${t.slice(8)}-7${hex(hi, 3)}-${hex(0x8 | (lo >>> 10), 1)}${hex(lo & 0x3ff, 3)}-${PROCESS}`;
}
