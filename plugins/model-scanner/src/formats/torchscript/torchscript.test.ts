import * as path from 'node:path';
import { scanBuffer, scanFile } from '../../engine';
import { buildZip, pb } from '../../testing/pickleBuilder';
import { analyzeTorchScriptSource, blankStringsAndComments } from '.';

import {
  BENIGN_FIXTURES as FIXTURES,
  expectSafe,
  rulesOf,
} from '../../testing/results';

/** A torch.jit.save-shaped archive with the given code/__torch__.py. */
function torchScriptArchive(
  code: string,
  extraCode: Record<string, string> = {},
) {
  const data = pb()
    .proto(2)
    .global('__torch__', 'M')
    .emptyTuple()
    .newobj()
    .emptyDict()
    .str('training')
    .raw([0x89])
    .setitem()
    .build()
    .stop()
    .toBuffer();
  return buildZip([
    { name: 'm/data.pkl', data },
    { name: 'm/code/__torch__.py', data: Buffer.from(code) },
    ...Object.entries(extraCode).map(([name, text]) => ({
      name: `m/code/${name}`,
      data: Buffer.from(text),
    })),
    {
      name: 'm/constants.pkl',
      data: pb().proto(2).emptyTuple().stop().toBuffer(),
    },
    { name: 'm/version', data: Buffer.from('1\n') },
  ]);
}

const HEADER = `class M(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
`;
const FORWARD = `  def forward(self: __torch__.M,
    x: Tensor) -> Tensor:
    _0 = torch.relu(torch.linear(x, self.weight, None))
    return torch.add(_0, 1)
`;

describe('TorchScript code', () => {
  it('flags a __setstate__ that creates a file (CVE-2025-32434 class) as malicious', async () => {
    const r = await scanBuffer(
      'model.pt',
      torchScriptArchive(
        `${HEADER}${FORWARD}  def __setstate__(self: __torch__.M,
    state: Tuple[bool]) -> None:
    _1 = torch.from_file("/tmp/pwned", True, 64)
    self.training = (state)[0]
    return None
`,
      ),
    );
    expect(r.format).toBe('torchscript');
    expect(r.verdict).toBe('malicious');
    const f = r.findings.find(x => x.ruleId === 'TORCHSCRIPT_DANGEROUS_OP')!;
    expect(f.details).toMatchObject({
      method: '__setstate__',
      runsAtLoad: true,
      reference: 'torch.from_file',
    });
    expect(f.location?.member).toBe('m/code/__torch__.py');
    expect(f.message).toMatch(/while torch.jit.load/);
  });

  it.each([
    ['torch.save in forward', `    torch.save(x, "/etc/cron.d/job")\n`],
    ['aten::save through ops', `    ops.aten.save(x, "/tmp/x")\n`],
    ['a native library load', `    torch.ops.load_library("/tmp/evil.so")\n`],
    [
      'a distributed operator',
      `    _9 = ops.c10d.allreduce_([x], pg, op, None, -1)\n`,
    ],
    [
      'a TCP store class',
      `    s = __torch__.torch.classes.dist_c10d.TCPStore("10.0.0.1", 1234)\n`,
    ],
    [
      'a Python primitive in hand-written code',
      `    _2 = eval("__import__('os').system('id')")\n`,
    ],
    ['a Python module in hand-written code', `    _3 = os.system("id")\n`],
    ['whitespace inside a dotted name', `    torch . save(x, "/tmp/x")\n`],
  ])('flags %s', async (_label, body) => {
    const code = `${HEADER}  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n${body}    return x\n`;
    const r = await scanBuffer('model.pt', torchScriptArchive(code));
    expect(rulesOf(r)).toContain('TORCHSCRIPT_DANGEROUS_OP');
    expect(r.verdict).toBe('malicious');
  });

  it('flags custom operators and TorchBind classes of unknown namespaces as suspicious', async () => {
    const code = `${HEADER}  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n    _0 = ops.my_vendor.fast_gelu(x)\n    return _0\n`;
    const r = await scanBuffer('model.pt', torchScriptArchive(code));
    expect(rulesOf(r)).toContain('TORCHSCRIPT_CUSTOM_OP');
    expect(r.verdict).toBe('suspicious');
    const cls = await scanBuffer(
      'model.pt',
      torchScriptArchive(
        `${HEADER}  packed : __torch__.torch.classes.acme.Packed\n${FORWARD}`,
      ),
    );
    expect(rulesOf(cls)).toContain('TORCHSCRIPT_CUSTOM_OP');
  });

  it('keeps pure computation safe, including strings and comments that name dangerous calls', async () => {
    const code = `${HEADER}  quant : __torch__.torch.classes.quantized.LinearPackedParamsBase
${FORWARD}  def helper(self: __torch__.M,
    x: Tensor) -> Tensor:
    # torch.save(x, "/tmp/x") is not called
    _0 = "open('/etc/passwd') and os.system('id') in a message"
    if torch.lt(torch.sum(x), 0.):
      ops.prim.RaiseException(torch.format(_0, 1), "builtins.ValueError")
    else:
      pass
    _1 = ops.quantized.linear(x, self.quant, 1., 0)
    _2 = ops.torchvision.nms(x, x, 0.5)
    return torch.cat([_1, _2, torch.dropout(x, 0.1, False)])
`;
    const r = await scanBuffer(
      'model.pt',
      torchScriptArchive(code, { '__torch__/nn.py': FORWARD }),
    );
    expect({
      verdict: r.verdict,
      findings: r.findings,
      errors: r.errors,
    }).toEqual({
      verdict: 'safe',
      findings: [],
      errors: [],
    });
  });

  it('keeps the real scripted and traced modules safe', async () => {
    for (const name of ['torchscript_scripted.pt', 'torchscript_traced.pt']) {
      const r = await scanFile(path.join(FIXTURES, name));
      expectSafe(r, name, () => true);
    }
  });

  it('only analyses code/ of a TorchScript archive (the same text elsewhere is plain text)', async () => {
    const zip = buildZip([
      {
        name: 'notes/code/x.py',
        data: Buffer.from('torch.save(x, "/tmp/x")\n'),
      },
    ]);
    expect(rulesOf(await scanBuffer('n.zip', zip))).not.toContain(
      'TORCHSCRIPT_DANGEROUS_OP',
    );
  });

  it('blanks strings and comments but keeps the line structure', () => {
    const src = "a = \"x\\\"y\" # c\nb = '''multi\nline'''\nc = torch.save";
    const out = blankStringsAndComments(src);
    expect(out.split('\n').length).toBe(src.split('\n').length);
    expect(out).not.toMatch(/multi|x|c\s*$/m);
    expect(analyzeTorchScriptSource(src).map(i => i.reference)).toEqual([
      'torch.save',
    ]);
  });

  it('never throws on mutated sources (fuzz) and stays fast', () => {
    let seed = 0x7a11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const base = `${HEADER}${FORWARD}  def __setstate__(self: __torch__.M, s: Tuple[bool]) -> None:\n    _1 = ops.aten.save(s, "x'''")\n    return None\n`;
    const alphabet = `"'#\\\n ._()torchops`;
    const started = Date.now();
    for (let i = 0; i < 2000; i++) {
      const chars = base.split('');
      for (let k = 0; k < 5; k++) {
        const pos = Math.floor(rand() * chars.length);
        chars.splice(
          pos,
          Math.floor(rand() * 3),
          alphabet[Math.floor(rand() * alphabet.length)],
        );
      }
      expect(Array.isArray(analyzeTorchScriptSource(chars.join('')))).toBe(
        true,
      );
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
