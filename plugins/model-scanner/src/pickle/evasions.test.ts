import { scanBuffer } from '../engine';
import {
  pb,
  classicPayload,
  benignOrderedDict,
} from '../testing/pickleBuilder';
import { rulesOf } from '../testing/results';

describe('pickle machine: code-execution primitives are malicious, allowlisted twins are safe', () => {
  it('flags the classic GLOBAL os.system + REDUCE with offsets and ATLAS ids', async () => {
    const r = await scanBuffer('evil.pkl', classicPayload());
    expect(r.verdict).toBe('malicious');
    expect(r.severity).toBe('critical');
    const g = r.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_GLOBAL')!;
    expect(g.location).toMatchObject({ offset: 2, opcode: 'GLOBAL' });
    expect(g.cwe).toContain('CWE-502');
    expect(g.atlas).toEqual(
      expect.arrayContaining([
        'AML.T0010.003',
        'AML.T0011.000',
        'AML.T0018.002',
      ]),
    );
    expect(r.pickleImports).toEqual(['os.system']);
    const c = r.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_CALL')!;
    expect(c.message).toContain('os.system("id")');
    expect(r.format).toBe('pickle');
  });

  it('keeps the benign twin (collections.OrderedDict) safe', async () => {
    const r = await scanBuffer('ok.pkl', benignOrderedDict());
    expect(r.verdict).toBe('safe');
    expect(r.findings).toEqual([]);
  });

  const gadgets: Array<[string, string]> = [
    ['pip', 'main'],
    ['pydoc', 'pipepager'],
    ['venv', 'create'],
    ['torch._inductor.codecache', 'compile_file'],
    ['torch.utils.bottleneck.__main__', 'run_cprofile'],
    ['torch.utils.collect_env', 'run'],
    ['torch._dynamo.guards', 'GuardBuilder.get'],
    [
      'torch.fx.experimental.symbolic_shapes',
      'ShapeEnv.evaluate_guards_expression',
    ],
    ['torch.utils.data.datapipes.utils.decoder', 'basichandlers'],
    ['torch.jit.unsupported_tensor_ops', 'execWrapper'],
    ['torch.utils._config_module', 'ConfigModule.load_config'],
    ['torch.serialization', 'load'],
    ['torch', 'load'],
    ['trace', 'Trace.run'],
    ['profile', 'Profile.run'],
    ['cProfile', 'run'],
    ['lib2to3.pgen2.grammar', 'Grammar.loads'],
    ['lib2to3.pgen2.pgen', 'ParserGenerator.make_label'],
    ['idlelib.pyshell', 'ModifiedInterpreter.runcode'],
    ['code', 'InteractiveInterpreter.runcode'],
    ['doctest', 'debug_script'],
    ['ensurepip', '_run_pip'],
    ['asyncio.unix_events', '_UnixSubprocessTransport._start'],
    ['distutils.file_util', 'write_file'],
    ['ctypes', 'CDLL'],
    ['pty', 'spawn'],
    ['numpy.f2py.crackfortran', 'getlincoef'],
    ['numpy.testing._private.utils', 'runstring'],
    ['_operator', 'methodcaller'],
    ['operator', 'attrgetter'],
    ['_io', 'FileIO'],
    ['urllib.request', 'urlopen'],
    ['types', 'CodeType'],
    ['types', 'FunctionType'],
    ['logging', 'FileHandler'],
    ['pkgutil', 'resolve_name'],
    ['uuid', '_get_command_stdout'],
    ['_osx_support', '_read_output'],
    ['_aix_support', '_read_cmd_output'],
    ['imaplib', 'IMAP4_stream'],
    ['_pyrepl.pager', 'pipe_pager'],
    ['test.support.script_helper', 'assert_python_ok'],
    ['multiprocessing.util', 'spawnv_passfds'],
    ['mlflow.projects.backend.local', '_run_entry_point'],
    ['pandas.io.parsers.readers', 'read_csv'],
    ['runpy', '_run_code'],
    ['importlib', 'import_module'],
    ['marshal', 'loads'],
    ['webbrowser', 'open'],
    ['shutil', 'rmtree'],
    ['sys', 'exit'],
    ['timeit', 'timeit'],
    ['subprocess', 'Popen'],
    ['posix', 'system'],
    ['nt', 'system'],
    ['socket', 'create_connection'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['builtins', 'compile'],
    ['builtins', 'open'],
    ['builtins', 'getattr'],
    ['builtins', '__import__'],
    ['__builtin__', 'eval'],
    ['__builtin__', 'apply'],
    ['_interpreters', 'run_string'],
    ['_xxsubinterpreters', 'run_string'],
    ['dill', 'loads'],
    ['cloudpickle', 'loads'],
    ['joblib', 'load'],
    ['numpy', 'load'],
    ['pickle', 'loads'],
    ['_pickle', 'loads'],
    ['numpy', '__builtins__'],
    ['some.unknown.module', 'system'],
    ['transformers.agents.python_interpreter', 'evaluate_python_code'],
    ['transformers.dynamic_module_utils', 'get_class_from_dynamic_module'],
  ];
  it.each(gadgets)('%s.%s is malicious', async (module, name) => {
    const r = await scanBuffer('g.pkl', classicPayload(module, name));
    expect(r.verdict).toBe('malicious');
    expect(rulesOf(r)).toContain('PICKLE_DANGEROUS_GLOBAL');
  });

  it('allows training metadata stored next to weights (HF TrainingArguments, Lightning AttributeDict)', async () => {
    const args = pb()
      .proto(2)
      .global('transformers.training_args', 'TrainingArguments')
      .emptyTuple()
      .newobj()
      .emptyDict()
      .str('eval_strategy')
      .global('transformers.trainer_utils', 'IntervalStrategy')
      .str('steps')
      .tuple1()
      .reduce()
      .setitem()
      .build()
      .stop()
      .toBuffer();
    expect((await scanBuffer('training_args.bin', args)).verdict).toBe('safe');
  });

  it('treats globals outside the allowlists as suspicious (high), not safe', async () => {
    for (const [m, n] of [
      ['mylib.models', 'Net'],
      ['__main__', 'MyModel'],
      ['pandas.core.frame', 'DataFrame'],
      ['functools', 'partial'],
    ]) {
      const r = await scanBuffer(
        'u.pkl',
        pb().proto(2).global(m, n).emptyTuple().newobj().stop().toBuffer(),
      );
      expect({ g: `${m}.${n}`, v: r.verdict, s: r.severity }).toEqual({
        g: `${m}.${n}`,
        v: 'suspicious',
        s: 'high',
      });
      expect(rulesOf(r)).toContain('PICKLE_NON_ALLOWLISTED_GLOBAL');
    }
  });

  it('resolves STACK_GLOBAL operands stored in and fetched from the memo', async () => {
    const evil = pb()
      .proto(4)
      .str('os')
      .binput(0)
      .str('ignored')
      .pop()
      .str('system')
      .binput(1)
      .pop()
      .pop()
      .binget(0)
      .binget(1)
      .op(0x93)
      .str('id')
      .tuple1()
      .reduce()
      .stop()
      .toBuffer();
    const r = await scanBuffer('memo.pkl', evil);
    expect(r.verdict).toBe('malicious');
    expect(
      r.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_GLOBAL')!.details,
    ).toMatchObject({ global: 'os.system' });
    const twin = pb()
      .proto(4)
      .str('collections')
      .binput(0)
      .str('OrderedDict')
      .binput(1)
      .pop()
      .pop()
      .binget(0)
      .binget(1)
      .op(0x93)
      .emptyTuple()
      .reduce()
      .stop()
      .toBuffer();
    expect((await scanBuffer('memo-ok.pkl', twin)).verdict).toBe('safe');
  });

  it('resolves MEMOIZE indexes and STRING/SHORT_BINSTRING operands (GHSA-9gvj-pp9x-gcfr)', async () => {
    const evil = pb()
      .proto(4)
      .string0('posix')
      .memoize()
      .shortBinstring('system')
      .memoize()
      .pop()
      .pop()
      .op(0x68, 0)
      .op(0x68, 1)
      .op(0x93)
      .str('id')
      .tuple1()
      .reduce()
      .stop()
      .toBuffer();
    const r = await scanBuffer('s.pkl', evil);
    expect(r.verdict).toBe('malicious');
    expect(r.findings[0].details).toMatchObject({ global: 'posix.system' });
  });

  it('flags non-string STACK_GLOBAL operands as malicious', async () => {
    const evil = pb()
      .proto(4)
      .global('builtins', 'str')
      .str('os')
      .tuple1()
      .reduce()
      .str('system')
      .op(0x93)
      .stop()
      .toBuffer();
    const r = await scanBuffer('ns.pkl', evil);
    expect(rulesOf(r)).toContain('PICKLE_NON_STRING_GLOBAL');
    expect(r.verdict).toBe('malicious');
    const intOperand = pb()
      .proto(4)
      .int(5)
      .str('system')
      .op(0x93)
      .stop()
      .toBuffer();
    expect((await scanBuffer('ni.pkl', intOperand)).verdict).toBe('malicious');
  });

  it('follows dotted names in protocol 4 (pathlib + "os.system", GHSA-5j3x-jp52-966f)', async () => {
    const evil = pb()
      .proto(4)
      .stackGlobal('pathlib', 'os.system')
      .str('id')
      .tuple1()
      .reduce()
      .stop()
      .toBuffer();
    const r = await scanBuffer('dot.pkl', evil);
    expect(r.verdict).toBe('malicious');
    const viaGlobal = pb()
      .proto(4)
      .global('torch', 'serialization.load')
      .str('x')
      .tuple1()
      .reduce()
      .stop()
      .toBuffer();
    expect((await scanBuffer('dot2.pkl', viaGlobal)).verdict).toBe('malicious');
    const twin = pb()
      .proto(4)
      .stackGlobal('collections', 'OrderedDict')
      .emptyTuple()
      .reduce()
      .stop()
      .toBuffer();
    expect((await scanBuffer('dot-ok.pkl', twin)).verdict).toBe('safe');
  });

  it('reports EXT1/EXT2/EXT4 extension codes (no registry maps them by default)', async () => {
    for (const ext of [
      [0x82, 7],
      [0x83, 7, 0],
      [0x84, 7, 0, 0, 0],
    ]) {
      const r = await scanBuffer(
        'ext.pkl',
        pb()
          .proto(2)
          .op(ext[0], ...ext.slice(1))
          .str('id')
          .tuple1()
          .reduce()
          .stop()
          .toBuffer(),
      );
      expect(rulesOf(r)).toContain('PICKLE_UNKNOWN_EXTENSION');
      expect(r.verdict).not.toBe('safe');
    }
  });

  it('does not let a parse error hide a payload (nullifAI), but tolerates trailing data after a benign pickle', async () => {
    const broken = Buffer.concat([
      pb()
        .proto(2)
        .global('os', 'system')
        .str('id')
        .tuple1()
        .reduce()
        .toBuffer(),
      Buffer.from([0xff, 0xfe]),
    ]);
    const r = await scanBuffer('broken.pkl', broken);
    expect(r.verdict).toBe('malicious');
    const pbe = r.findings.find(
      f => f.ruleId === 'PICKLE_PAYLOAD_BEFORE_ERROR',
    )!;
    expect(pbe.atlas).toContain('AML.T0076');
    const truncated = pb()
      .proto(2)
      .global('os', 'system')
      .str('id')
      .tuple1()
      .reduce()
      .toBuffer();
    expect((await scanBuffer('trunc.pkl', truncated)).verdict).toBe(
      'malicious',
    );
    const twin = Buffer.concat([
      benignOrderedDict(),
      Buffer.from('garbage\xff', 'latin1'),
    ]);
    const t = await scanBuffer('twin.pkl', twin);
    expect(t.verdict).toBe('safe');
    expect(rulesOf(t)).toContain('PICKLE_TRAILING_DATA');
    const justBroken = pb()
      .proto(2)
      .global('collections', 'OrderedDict')
      .op(0xff)
      .toBuffer();
    expect((await scanBuffer('bb.pkl', justBroken)).verdict).toBe('error');
  });

  it('scans every pickle of a multi-stream file', async () => {
    const two = Buffer.concat([
      benignOrderedDict(),
      benignOrderedDict(),
      classicPayload(),
    ]);
    expect((await scanBuffer('multi.pkl', two)).verdict).toBe('malicious');
    expect(
      (
        await scanBuffer(
          'multi-ok.pkl',
          Buffer.concat([benignOrderedDict(), benignOrderedDict()]),
        )
      ).verdict,
    ).toBe('safe');
  });

  it('reports frame divergence and reads the bytes after a broken frame as opcodes too', async () => {
    // FRAME covers 3 bytes, but the SHORT_BINBYTES inside claims more: a linear reader sees bytes,
    // a frame-respecting reader sees GLOBAL os.system right after the frame.
    const hidden = Buffer.from('cos\nsystem\n\x8c\x02id\x85R.', 'latin1');
    const evil = pb()
      .proto(4)
      .frame(3)
      .op(0x43, hidden.length + 1)
      .op(0x4e)
      .raw(hidden)
      .stop()
      .toBuffer();
    const r = await scanBuffer('frame.pkl', evil);
    expect(rulesOf(r)).toContain('PICKLE_FRAME_VIOLATION');
    expect(rulesOf(r)).toContain('PICKLE_DANGEROUS_GLOBAL');
    expect(r.verdict).toBe('malicious');
    // properly framed benign pickle: frame length exactly covers the opcodes
    const body = pb()
      .stackGlobal('collections', 'OrderedDict')
      .emptyTuple()
      .reduce()
      .stop()
      .toBuffer();
    const twin = Buffer.concat([
      pb().proto(4).frame(body.length).toBuffer(),
      body,
    ]);
    const t = await scanBuffer('frame-ok.pkl', twin);
    expect(t.verdict).toBe('safe');
    expect(t.findings).toEqual([]);
  });

  it('reads a frame-crossing BINBYTES the way the C unpickler reads files (data taken after the frame)', async () => {
    const payload = Buffer.from('cos\nsystem\n\x8c\x02id\x85R0', 'latin1');
    const n = 16;
    // frame: BINBYTES header (n) + 2 leftover bytes; after the frame: n bytes of data whose last two
    // bytes open a SHORT_BINBYTES that swallows the payload for a linear reader
    const data = Buffer.concat([
      Buffer.alloc(n - 2, 0x41),
      Buffer.from([0x43, payload.length]),
    ]);
    const b = Buffer.alloc(5);
    b[0] = 0x42;
    b.writeUInt32LE(n, 1);
    const evil = pb()
      .proto(4)
      .frame(7)
      .raw(b)
      .raw('N0')
      .raw(data)
      .raw(payload)
      .stop()
      .toBuffer();
    const r = await scanBuffer('frame-file.pkl', evil);
    expect(rulesOf(r)).toEqual(
      expect.arrayContaining([
        'PICKLE_FRAME_VIOLATION',
        'PICKLE_DANGEROUS_GLOBAL',
      ]),
    );
    expect(r.verdict).toBe('malicious');
  });

  it('reports a FRAME longer than the file', async () => {
    const r = await scanBuffer(
      'frame-long.pkl',
      pb().proto(4).frame(1_000_000).raw('N.').toBuffer(),
    );
    expect(rulesOf(r)).toContain('PICKLE_FRAME_VIOLATION');
    expect(r.verdict).toBe('suspicious');
  });

  it('checks length fields against the remaining bytes without allocating (BINBYTES8 2^50)', async () => {
    const b = Buffer.alloc(9);
    b[0] = 0x8e;
    b.writeBigUInt64LE(2n ** 50n, 1);
    const before = process.memoryUsage().rss;
    const r = await scanBuffer(
      'huge.pkl',
      Buffer.concat([Buffer.from([0x80, 4]), b, Buffer.from('.')]),
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expect(rulesOf(r)).toContain('PICKLE_LENGTH_OUT_OF_BOUNDS');
    expect(r.verdict).toBe('suspicious');
  });

  it('scans bytes handed to a loader as a nested pickle', async () => {
    const inner = classicPayload();
    const evil = pb()
      .proto(2)
      .global('pickle', 'loads')
      .bytes(inner)
      .tuple1()
      .reduce()
      .stop()
      .toBuffer();
    const r = await scanBuffer('nested.pkl', evil);
    expect(rulesOf(r)).toEqual(
      expect.arrayContaining([
        'PICKLE_NESTED_PICKLE',
        'PICKLE_DANGEROUS_GLOBAL',
      ]),
    );
    expect(r.findings.some(f => f.details?.global === 'os.system')).toBe(true);
    // nested inside a non-loader unknown call, hidden in a big bytes block
    const big = Buffer.concat([inner, Buffer.alloc(100_000)]);
    const hidden = pb()
      .proto(4)
      .global('mylib', 'Wrapper')
      .bytes(big)
      .tuple1()
      .reduce()
      .stop()
      .toBuffer();
    const h = await scanBuffer('hidden.pkl', hidden);
    expect(h.findings.some(f => f.details?.global === 'os.system')).toBe(true);
    // twin: a benign pickle stored as plain data in a dict is not a call
    const twin = pb()
      .proto(2)
      .emptyDict()
      .str('blob')
      .bytes(benignOrderedDict())
      .setitem()
      .stop()
      .toBuffer();
    expect((await scanBuffer('nested-ok.pkl', twin)).verdict).toBe('safe');
  });

  it('flags calls of values produced by getattr (gadget chains)', async () => {
    const evil = pb()
      .proto(2)
      .global('builtins', 'getattr')
      .global('collections', 'OrderedDict')
      .str('fromkeys')
      .tuple2()
      .reduce()
      .mark()
      .str('a')
      .tuple()
      .reduce()
      .stop()
      .toBuffer();
    const r = await scanBuffer('getattr.pkl', evil);
    expect(rulesOf(r)).toContain('PICKLE_CALL_OF_RESULT');
    expect(
      r.findings.find(f => f.ruleId === 'PICKLE_CALL_OF_RESULT')!.severity,
    ).toBe('critical');
  });

  it('flags functools.partial wrapping a dangerous callable', async () => {
    const evil = pb()
      .proto(2)
      .global('functools', 'partial')
      .global('os', 'system')
      .str('id')
      .tuple2()
      .reduce()
      .emptyTuple()
      .reduce()
      .stop()
      .toBuffer();
    const r = await scanBuffer('partial.pkl', evil);
    expect(r.verdict).toBe('malicious');
    expect(rulesOf(r)).toContain('PICKLE_CALL_OF_RESULT');
  });

  it('flags BUILD on an imported function (numpy.size gadget, modelscan #330)', async () => {
    const evil = pb()
      .proto(2)
      .global('numpy', 'size')
      .emptyDict()
      .str('__defaults__')
      .str('eval')
      .setitem()
      .build()
      .stop()
      .toBuffer();
    const r = await scanBuffer('build.pkl', evil);
    expect(rulesOf(r)).toContain('PICKLE_BUILD_ON_GLOBAL');
    expect(r.verdict).not.toBe('safe');
    // twin: BUILD on a freshly created allowlisted object (how PyTorch sets _metadata)
    const twin = pb()
      .proto(2)
      .global('collections', 'OrderedDict')
      .emptyTuple()
      .reduce()
      .emptyDict()
      .str('_metadata')
      .emptyDict()
      .setitem()
      .build()
      .stop()
      .toBuffer();
    expect((await scanBuffer('build-ok.pkl', twin)).verdict).toBe('safe');
  });

  it('sees calls made by INST, OBJ (even when POP discards the result) and NEWOBJ_EX', async () => {
    const inst = Buffer.from("(S'id'\nios\nsystem\n.", 'latin1');
    expect((await scanBuffer('inst.pkl', inst)).verdict).toBe('malicious');
    const obj = pb()
      .proto(1)
      .mark()
      .global('os', 'system')
      .str('id')
      .op(0x6f)
      .pop()
      .none()
      .stop()
      .toBuffer();
    const o = await scanBuffer('obj.pkl', obj);
    expect(o.verdict).toBe('malicious');
    expect(
      o.findings.find(f => f.ruleId === 'PICKLE_DANGEROUS_CALL')!.location
        ?.opcode,
    ).toBe('OBJ');
    const nex = pb()
      .proto(4)
      .stackGlobal('subprocess', 'Popen')
      .str('id')
      .tuple1()
      .emptyDict()
      .op(0x92)
      .stop()
      .toBuffer();
    expect((await scanBuffer('newobjex.pkl', nex)).verdict).toBe('malicious');
    const twin = Buffer.from('(ccollections\nOrderedDict\np0\n(tR.', 'latin1');
    expect((await scanBuffer('inst-ok.pkl', twin)).verdict).toBe('safe');
  });

  it('maps Python 2 names like CPython (fix_imports)', async () => {
    expect(
      (
        await scanBuffer(
          'p2.pkl',
          Buffer.from("c__builtin__\neval\n(S'1'\ntR.", 'latin1'),
        )
      ).verdict,
    ).toBe('malicious');
    expect(
      (
        await scanBuffer(
          'p2ok.pkl',
          Buffer.from('c__builtin__\nxrange\n(I1\nI3\nI1\ntR.', 'latin1'),
        )
      ).verdict,
    ).toBe('safe');
  });

  it('reports a PROTO opcode in the middle of the stream', async () => {
    const r = await scanBuffer(
      'proto.pkl',
      pb().proto(2).none().pop().proto(4).none().stop().toBuffer(),
    );
    expect(rulesOf(r)).toContain('PICKLE_MISPLACED_PROTO');
  });

  it('stops at the opcode and memo limits with a finding', async () => {
    const many = pb().proto(2);
    for (let i = 0; i < 200; i++) many.none().pop();
    const r = await scanBuffer('ops.pkl', many.none().stop().toBuffer(), {
      limits: { maxOpcodes: 100 },
    });
    expect(rulesOf(r)).toContain('PICKLE_RESOURCE_LIMIT');
    const memo = pb().proto(4).none();
    for (let i = 0; i < 50; i++) memo.memoize();
    const m = await scanBuffer('memo.pkl', memo.stop().toBuffer(), {
      limits: { maxMemo: 10 },
    });
    expect(rulesOf(m)).toContain('PICKLE_RESOURCE_LIMIT');
  });

  it('honours the mark fence: a payload cannot be hidden below a MARK', async () => {
    // REDUCE cannot reach values below the last MARK: CPython raises stack underflow
    const r = await scanBuffer(
      'fence.pkl',
      pb().proto(2).global('os', 'system').mark().reduce().stop().toBuffer(),
    );
    expect(r.verdict).toBe('malicious'); // the import alone is already the payload
    expect(rulesOf(r)).not.toContain('PICKLE_DANGEROUS_CALL');
  });
});
