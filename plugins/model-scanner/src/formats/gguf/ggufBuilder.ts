/** Builds GGUF files in memory for tests (little-endian unless asked otherwise). */
export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'u8'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array-string'; value: string[] }
  | { type: 'array-i32'; value: number[] };

export interface GgufTensorSpec {
  name: string;
  dims: number[];
  type: number;
  offset: number;
}

export function buildGguf(opts: {
  version?: number;
  kv: Array<[string, GgufValue]>;
  tensors?: GgufTensorSpec[];
  data?: Buffer;
  bigEndian?: boolean;
}): Buffer {
  const version = opts.version ?? 3;
  const le = !opts.bigEndian;
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(n);
    else b.writeUInt32BE(n);
    parts.push(b);
  };
  const u64 = (n: number | bigint) => {
    const b = Buffer.alloc(8);
    if (le) b.writeBigUInt64LE(BigInt(n));
    else b.writeBigUInt64BE(BigInt(n));
    parts.push(b);
  };
  const len = (n: number | bigint) => (version === 1 ? u32(Number(n)) : u64(n));
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    len(b.length);
    parts.push(b);
  };
  parts.push(Buffer.from('GGUF'));
  u32(version);
  len(opts.tensors?.length ?? 0);
  len(opts.kv.length);
  for (const [k, v] of opts.kv) {
    str(k);
    switch (v.type) {
      case 'u8': u32(0); parts.push(Buffer.from([v.value])); break;
      case 'u32': u32(4); u32(v.value); break;
      case 'f32': { u32(6); const b = Buffer.alloc(4); b.writeFloatLE(v.value); parts.push(b); break; }
      case 'bool': u32(7); parts.push(Buffer.from([v.value ? 1 : 0])); break;
      case 'string': u32(8); str(v.value); break;
      case 'array-string': u32(9); u32(8); len(v.value.length); v.value.forEach(str); break;
      case 'array-i32': u32(9); u32(5); len(v.value.length); v.value.forEach(x => u32(x)); break;
      default: throw new Error('unknown value type');
    }
  }
  for (const t of opts.tensors ?? []) {
    str(t.name);
    u32(t.dims.length);
    t.dims.forEach(d => len(d));
    u32(t.type);
    u64(t.offset);
  }
  let buf = Buffer.concat(parts);
  const pad = (32 - (buf.length % 32)) % 32;
  buf = Buffer.concat([buf, Buffer.alloc(pad), opts.data ?? Buffer.alloc(0)]);
  return buf;
}
