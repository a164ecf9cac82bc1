import fs from 'fs';
import path from 'path';
import { externalPathProblem, onnxScanner } from './index';
import { headFields } from './protobuf';
import { bufferSource, detectWith, runFormatScanner } from '../gguf/harness';

const fx = (n: string) => fs.readFileSync(path.resolve(__dirname, '../../../fixtures/formats', n));

/** protobuf encoding helpers for hand-built messages */
const varint = (n: number | bigint) => {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
};
const len = (field: number, payload: Buffer | string) => {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([varint((field << 3) | 2), varint(p.length), p]);
};
const vint = (field: number, v: number) => Buffer.concat([varint(field << 3), varint(v)]);

describe('onnxScanner (files written by python3-onnx)', () => {
  it('detects ONNX models by content and does not claim other protobufs', () => {
    expect(detectWith(onnxScanner, fx('onnx_benign.onnx'), 'model.bin')).toBeGreaterThan(50);
    expect(detectWith(onnxScanner, fx('savedmodel_benign.pb'), 'saved_model.pb')).toBe(0);
    expect(detectWith(onnxScanner, Buffer.from('{"a":1}'), 'x.onnx')).toBe(0);
    expect(detectWith(onnxScanner, Buffer.from('80049500', 'hex'), 'x.onnx')).toBe(0);
  });

  it('accepts a benign model with subgraphs, ai.onnx.ml, com.microsoft and a model-local function', async () => {
    const r = await runFormatScanner(onnxScanner, fx('onnx_benign.onnx'));
    expect(r.findings).toEqual([]);
    expect(r.formats).toEqual(['onnx']);
  });

  it('accepts external data next to the model', async () => {
    expect((await runFormatScanner(onnxScanner, fx('onnx_benign_external.onnx'))).findings).toEqual([]);
  });

  it('flags external data that climbs out of the folder or is absolute', async () => {
    for (const f of ['onnx_malicious_external_traversal.onnx', 'onnx_malicious_external_absolute.onnx']) {
      const r = await runFormatScanner(onnxScanner, fx(f));
      expect(r.ruleIds).toEqual(['ONNX_EXTERNAL_DATA_TRAVERSAL']);
      expect(r.findings[0].severity).toBe('critical');
      expect(r.findings[0].cwe).toEqual(['CWE-22']);
      expect(r.findings[0].location?.path).toBe('graph/initializer W');
    }
  });

  it('flags Python operators as critical and custom domains as medium', async () => {
    const py = await runFormatScanner(onnxScanner, fx('onnx_malicious_pyop.onnx'));
    expect(py.findings.map(f => `${f.ruleId}:${f.severity}`)).toEqual(['ONNX_PYTHON_OP:critical']);
    const custom = await runFormatScanner(onnxScanner, fx('onnx_suspicious_custom_domain.onnx'));
    expect(custom.findings.map(f => `${f.ruleId}:${f.severity}`)).toEqual(['ONNX_CUSTOM_OP_DOMAIN:medium']);
    expect(custom.findings[0].details).toMatchObject({ domain: 'com.example.custom', op: 'Backdoor' });
  });

  it('finds a traversal hidden in a subgraph attribute tensor and a PyOp inside a function', async () => {
    const ext = Buffer.concat([len(1, 'location'), len(2, '..\\..\\windows\\win.ini')]);
    const tensor = Buffer.concat([len(8, 'hidden'), len(13, ext), vint(14, 1)]);
    const attr = Buffer.concat([len(1, 'value'), len(5, tensor), vint(20, 4)]);
    const constNode = Buffer.concat([len(4, 'Constant'), len(5, attr)]);
    const sub = len(1, constNode);
    const ifAttr = Buffer.concat([len(1, 'then_branch'), len(6, sub), vint(20, 5)]);
    const ifNode = Buffer.concat([len(4, 'If'), len(3, 'if0'), len(5, ifAttr)]);
    const fn = Buffer.concat([len(1, 'f'), len(10, 'x.y'), len(7, Buffer.concat([len(4, 'PyOp'), len(7, 'ai.onnx.contrib')]))]);
    const model = Buffer.concat([vint(1, 8), len(2, 'x'), len(7, len(1, ifNode)), len(8, vint(2, 15)), len(25, fn)]);
    const r = await runFormatScanner(onnxScanner, model);
    expect(r.ruleIds.sort()).toEqual(['ONNX_EXTERNAL_DATA_TRAVERSAL', 'ONNX_PYTHON_OP']);
    expect(r.findings.find(f => f.ruleId === 'ONNX_EXTERNAL_DATA_TRAVERSAL')!.location?.path).toBe('graph/if0/Constant/initializer hidden');
  });

  it('reports malformed lengths without reading past the message', async () => {
    const bad = Buffer.concat([vint(1, 8), Buffer.from([0x3a]), varint(1n << 40n), Buffer.alloc(10)]);
    const r = await runFormatScanner(onnxScanner, bad);
    expect(r.ruleIds).toEqual(['ONNX_MALFORMED']);
  });

  it('skips tensor payloads', async () => {
    const raw = Buffer.alloc(4 * 1024 * 1024);
    const tensor = Buffer.concat([len(8, 'big'), vint(2, 1), len(9, raw)]);
    const model = Buffer.concat([vint(1, 8), len(7, len(5, tensor))]);
    const src = bufferSource(model);
    await runFormatScanner(onnxScanner, src);
    expect(src.reads.reduce((s, [, l]) => s + l, 0)).toBeLessThan(512 * 1024);
  });

  it('classifies external paths', () => {
    expect(externalPathProblem('weights/w.bin')).toBeUndefined();
    expect(externalPathProblem('a/../w.bin')).toBeDefined();
    expect(externalPathProblem('../w.bin')).toMatch(/climbs/);
    expect(externalPathProblem('C:\\x')).toMatch(/absolute/);
    expect(externalPathProblem('file:///etc/passwd')).toMatch(/URL/);
    expect(externalPathProblem('\\\\server\\share')).toMatch(/absolute/);
  });

  it('parses protobuf heads', () => {
    expect(headFields(Buffer.concat([vint(1, 7), len(2, 'abc')]))).toEqual([
      { field: 1, wire: 0, start: 1, end: 2, varint: 7 },
      { field: 2, wire: 2, start: 4, end: 7 },
    ]);
  });
});

describe('onnx detection without ir_version first', () => {
  it('accepts a named .onnx whose writer put the graph first, and refuses it without the name', () => {
    const model = Buffer.concat([len(7, len(1, Buffer.from([0x22, 0x04, 0x52, 0x65, 0x6c, 0x75]))), Buffer.from([0x08, 0x08])]);
    expect(detectWith(onnxScanner, model, 'm.onnx')).toBeGreaterThan(0);
    expect(detectWith(onnxScanner, model, 'm.bin')).toBe(0);
  });
});
