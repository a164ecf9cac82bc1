import path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { DetectionEngine, resolveConfig } from '@internal/detection-rules';
import {
  aksDiagnosticAudit,
  diagnosticBlobLog,
  diagnosticSignIn,
  firewallClassic,
  firewallStructured,
  graphSignIn,
  hubbleFlow,
  k8sAudit,
  laBlobLog,
  laSignIn,
  portalAudit,
  riskDetection,
} from '@internal/detection-rules/src/testing/builders';
import { parseInThread, WorkerBatchParser, type BatchParseOptions } from './BatchParser';

jest.setTimeout(60_000);
const T = '2026-12-07T10:00:00.000Z';
const blob = { time: T, account: 'wacct', container: 'weights', blob: 'model-00001.safetensors', bytes: 4_000_000, upn: 'eve@corp.example', ip: '20.1.2.3' };

/** Every source shape, an export wrapper of two records, bad lines, blank lines, NUL and a lone surrogate. */
const body = [
  graphSignIn({ time: T, upn: 'eve@corp.example', ip: '20.1.2.3', country: 'GB' }),
  diagnosticSignIn({ time: T, upn: 'Bob@Corp.example', ip: '20.1.2.4', country: 'US', errorCode: 50126 }),
  laSignIn({ time: T, upn: 'carol@corp.example', ip: '20.1.2.5' }),
  riskDetection({ time: T, upn: 'eve@corp.example', type: 'unfamiliarFeatures', level: 'high' }),
  diagnosticBlobLog(blob),
  laBlobLog({ ...blob, op: 'ListBlobs' }),
  k8sAudit({ time: T, user: 'alice@corp.example', verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'research-llm', name: 'p' }),
  aksDiagnosticAudit({ time: T, user: 'alice@corp.example', verb: 'get', resource: 'secrets', namespace: 'research-llm', name: 's' }),
  firewallClassic({ time: T, src: '10.1.0.4', dst: '203.0.113.9', port: 443, action: 'Deny' }),
  firewallStructured({ time: T, src: '10.1.0.4', fqdn: 'exfil.example.net', port: 443, action: 'Deny', la: true }),
  hubbleFlow({ time: T, ns: 'research-llm', pod: 'p', srcIp: '10.2.0.5', dstIp: '203.0.113.7', port: 443, verdict: 'DROPPED' }),
  portalAudit({ time: T, pluginId: 'access-requests', eventId: 'grant-approved' }),
].map(r => JSON.stringify(r));
const wrapped = [diagnosticBlobLog({ ...blob, blob: 'a' }), diagnosticBlobLog({ ...blob, blob: 'b' })];
const wrapper = JSON.stringify({ records: wrapped });
const text = [
  ...body,
  '',
  'not json at all',
  wrapper,
  JSON.stringify({ hello: 'world' }),
  `  ${JSON.stringify(diagnosticBlobLog({ ...blob, blob: 'nul\u0000name', upn: 'lone\ud800@corp.example' }))}  `,
].join('\n');

const engine = new DetectionEngine({ config: resolveConfig({}) });
const needs = engine.needs();
const options: BatchParseOptions = { maxLines: 100, views: needs.views, keepRaw: needs.raw };

describe('WorkerBatchParser', () => {
  const parsers: WorkerBatchParser[] = [];
  const parser = (entry?: string) => {
    const logger = mockServices.logger.mock();
    const p = new WorkerBatchParser(logger, entry);
    parsers.push(p);
    return { p, logger };
  };
  afterAll(async () => {
    for (const p of parsers) await p.close();
  });

  it('parses on its thread exactly as in this one: events, stored text, line errors (every source, wrapper, bad lines)', async () => {
    const local = parseInThread(text, options);
    if ('tooMany' in local) throw new Error('unexpected');
    expect(local.events).toHaveLength(body.length + 3);
    expect(local.rejected.map(r => r.line)).toEqual([body.length + 2, body.length + 4]);
    // a record of a multi-record line is stored as its own JSON text; a plain line as sent (trimmed)
    expect(local.events.slice(body.length, body.length + 2).map(e => e.raw)).toEqual(wrapped.map(r => JSON.stringify(r)));
    expect(local.events.at(-1)!.raw).toBe(text.split('\n').at(-1)!.trim());

    const { p, logger } = parser();
    const remote = await p.parse(text, options);
    expect(remote).toEqual(local);
    // no field lost or changed on the way (JSON text between the threads)
    if ('tooMany' in remote) throw new Error('unexpected');
    for (let i = 0; i < local.events.length; i++) expect(JSON.stringify(remote.events[i].ev)).toBe(JSON.stringify(local.events[i].ev));
    expect(logger.warn).not.toHaveBeenCalled();
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('keeps the parsed record only for sources with a Sigma keyword search', async () => {
    const { p } = parser();
    const r = await p.parse(text, { ...options, keepRaw: new Set(['k8s_audit']) });
    if ('tooMany' in r) throw new Error('unexpected');
    const k8s = r.events.filter(e => e.ev.source === 'k8s_audit');
    expect(k8s.length).toBe(2);
    expect(k8s.every(e => typeof e.ev.raw === 'object' && e.ev.raw !== null)).toBe(true);
    expect(r.events.filter(e => e.ev.source !== 'k8s_audit').every(e => e.ev.raw === undefined)).toBe(true);
  });

  it('answers several batches in flight each with its own result, and a batch over the line limit with its count', async () => {
    const { p } = parser();
    const texts = [body[0], body.slice(0, 5).join('\n'), text, body.slice(4).join('\n')];
    const results = await Promise.all([...texts.map(t => p.parse(t, options)), p.parse(text, { ...options, maxLines: 3 })]);
    expect(results.slice(0, 4)).toEqual(texts.map(t => parseInThread(t, options)));
    expect(results[4]).toEqual({ tooMany: body.length + 4 });
  });

  it('parses in this thread when the worker cannot start (logged), with the same result', async () => {
    const { p, logger } = parser(path.join(__dirname, '__fixtures__', 'no-such-worker.js'));
    expect(await p.parse(text, options)).toEqual(parseInThread(text, options));
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('did not start'));
    expect(await p.parse(body[0], options)).toEqual(parseInThread(body[0], options));
  });

  it('parses the batches a worker had when it ended in this thread, and starts a new worker for the next', async () => {
    const { p, logger } = parser(path.join(__dirname, '__fixtures__', 'exitingParseWorker.js'));
    // the fixture worker starts, then exits at its first batch
    await new Promise(r => setTimeout(r, 50));
    const [a, b] = await Promise.all([p.parse(text, options), p.parse(body[1], options)]);
    expect(a).toEqual(parseInThread(text, options));
    expect(b).toEqual(parseInThread(body[1], options));
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('exited with code 3'));
    expect(logger.error).toHaveBeenCalledTimes(1);
    // the next batch goes to a new worker (this fixture ends again: a second error logged)
    expect(await p.parse(body[0], options)).toEqual(parseInThread(body[0], options));
    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
