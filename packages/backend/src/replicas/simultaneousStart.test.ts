import path from 'node:path';
import { Replica, dropDatabases, startPgReplica, tempDir } from './replica';

/**
 * Two replicas of the real backend started at the same moment on an EMPTY PostgreSQL (what a
 * fresh deployment with two replicas does). Both run every plugin's migrations; knex's own
 * bookkeeping tables are created by both at once, which used to leave a lock table with two rows
 * and both replicas waiting for a lock nobody held ("Migration table is already locked") until
 * they gave up (about one start in five). Both must become ready.
 */

jest.setTimeout(240_000);

const prefix = `fg_simultaneous_${process.pid}_`;
let replicas: Replica[] = [];

const startReplica = (name: string, dir: string) =>
  startPgReplica(name, dir, prefix, { modelScan: { workDir: path.join(dir, `model-scan-${name}`) } });

afterAll(async () => {
  await Promise.all(replicas.map(r => r.stop()));
  await dropDatabases(prefix);
});

it('starts two replicas together on an empty PostgreSQL', async () => {
  await dropDatabases(prefix);
  const dir = tempDir('fg-simultaneous-');
  replicas = await Promise.all([startReplica('a', dir), startReplica('b', dir)]);
  const outcomes = await Promise.allSettled(replicas.map(r => r.ready(['alice'], 180_000)));
  const failures = outcomes.flatMap(o => (o.status === 'rejected' ? [String(o.reason)] : []));
  expect(failures).toEqual([]);
});
