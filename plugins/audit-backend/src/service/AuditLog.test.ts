import { mockServices } from '@backstage/backend-test-utils';
import { AuditLog, AuditLogEntry } from './AuditLog';
import { AuditEventStore, NewChainRow } from '../store/AuditEventStore';

function entry(n: number): AuditLogEntry {
  return {
    correlationId: `c-${n}`,
    pluginId: 'test',
    eventId: 'thing-do',
    severity: 'low',
    status: 'initiated',
    actorType: 'user',
    actor: 'user:default/alice',
    meta: { n, nested: { b: 1, a: [1, 'x'] } },
  };
}

describe('AuditLog', () => {
  it('stores events with the injected clock and canonical JSON', async () => {
    const appended: NewChainRow[] = [];
    const store = {
      appendBatch: jest.fn(async (rows: NewChainRow[]) => {
        appended.push(...rows);
        return rows as any;
      }),
    } as unknown as AuditEventStore;
    const log = new AuditLog({
      store,
      logger: mockServices.logger.mock(),
      clock: () => new Date('2026-11-25T12:00:00.000Z'),
    });
    await log.record({ ...entry(1), request: { method: 'GET', url: '/x' } });
    expect(appended).toEqual([
      expect.objectContaining({
        occurred_at: '2026-11-25T12:00:00.000Z',
        plugin_id: 'test',
        actor: 'user:default/alice',
        request: '{"method":"GET","url":"/x"}',
        meta: '{"n":1,"nested":{"a":[1,"x"],"b":1}}',
        error: null,
      }),
    ]);
  });

  it('does not block or throw when the database fails, and retries in order', async () => {
    let failuresLeft = 3;
    const appended: string[] = [];
    const store = {
      appendBatch: jest.fn(async (rows: NewChainRow[]) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('database is down');
        }
        appended.push(...rows.map(row => row.correlation_id));
        return rows as any;
      }),
    } as unknown as AuditEventStore;
    const logger = mockServices.logger.mock();
    const log = new AuditLog({
      store,
      logger,
      writeWaitMs: 50,
      maxRetryDelayMs: 20,
    });

    // Both resolve (after the wait budget) although nothing could be written yet.
    await expect(log.record(entry(1))).resolves.toBeUndefined();
    await expect(log.record(entry(2))).resolves.toBeUndefined();
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('AUDIT TRAIL WRITE FAILED'),
    );

    await expect(log.flush(5000)).resolves.toBe(true);
    expect(appended).toEqual(['c-1', 'c-2']);
  });

  it('writes the events that queue up during a write together, in order', async () => {
    const batches: string[][] = [];
    const store = {
      appendBatch: jest.fn(async (rows: NewChainRow[]) => {
        batches.push(rows.map(row => row.correlation_id));
        return rows as any;
      }),
    } as unknown as AuditEventStore;
    const log = new AuditLog({
      store,
      logger: mockServices.logger.mock(),
      maxBatch: 3,
    });
    await Promise.all([1, 2, 3, 4, 5, 6].map(n => log.record(entry(n))));
    expect(batches).toEqual([['c-1'], ['c-2', 'c-3', 'c-4'], ['c-5', 'c-6']]);
  });

  it('drops (loudly) beyond maxPending instead of growing without bound', async () => {
    const store = {
      appendBatch: jest.fn(async () => {
        throw new Error('down');
      }),
    } as unknown as AuditEventStore;
    const logger = mockServices.logger.mock();
    const log = new AuditLog({
      store,
      logger,
      writeWaitMs: 1,
      maxPending: 1,
      maxRetryDelayMs: 5,
    });
    await log.record(entry(1));
    await log.record(entry(2));
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('DROPPED'),
    );
    await expect(log.flush(50)).resolves.toBe(false);
    log.stop();
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringContaining('stopping with 1 unwritten'),
    );
  });
});
