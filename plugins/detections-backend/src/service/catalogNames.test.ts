import type { CatalogNames } from '../domain/grants';
import { readCatalogNamesUntilSettled } from './catalogNames';

const names = (users: number, stores: number): CatalogNames => ({
  users: Array.from({ length: users }, (_, i) => ({ ref: `user:default/u${i}`, names: [`u${i}@example.com`] })),
  stores: Array.from({ length: stores }, (_, i) => ({ ref: `resource:default/s${i}`, azureScope: `/x/storageAccounts/a/blobServices/default/containers/c${i}` })),
});

describe('readCatalogNamesUntilSettled', () => {
  it('reads again while the catalog is still filling and stops once two reads agree', async () => {
    const answers = [names(0, 0), undefined, names(3, 0), names(5, 2), names(5, 2), names(9, 9)];
    const applied: string[] = [];
    const sleeps: number[] = [];
    const reads = await readCatalogNamesUntilSettled({
      read: async () => answers.shift(),
      apply: async n => {
        applied.push(`${n.users.length}/${n.stores.length}`);
      },
      intervalMs: 5000,
      maxReads: 10,
      sleep: async ms => {
        sleeps.push(ms);
      },
    });
    expect(reads).toBe(5);
    // every answer is applied (alert refs filled in as soon as a name is known); a failed read is skipped
    expect(applied).toEqual(['0/0', '3/0', '5/2', '5/2']);
    expect(sleeps).toEqual([5000, 5000, 5000, 5000]);
  });

  it('keeps reading an empty catalog up to the limit', async () => {
    let calls = 0;
    const reads = await readCatalogNamesUntilSettled({
      read: async () => {
        calls++;
        return names(0, 0);
      },
      apply: async () => {},
      intervalMs: 1,
      maxReads: 4,
      sleep: async () => {},
    });
    expect(reads).toBe(4);
    expect(calls).toBe(4);
  });
});
