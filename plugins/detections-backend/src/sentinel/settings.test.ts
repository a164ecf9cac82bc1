import { ConfigReader, type JsonObject } from '@backstage/config';
import { readSentinelSettings } from './settings';

const read = (sentinel: JsonObject) => readSentinelSettings(new ConfigReader(sentinel));

describe('readSentinelSettings', () => {
  it('is absent without the block, and fills the defaults', () => {
    expect(readSentinelSettings(undefined)).toBeUndefined();
    expect(read({ workspaceId: 'w' })).toEqual({ workspaceId: 'w', endpoint: undefined, frequencyMinutes: 60, overlapMinutes: 15, maxLookbackMinutes: 1440 });
    expect(read({ workspaceId: 'w', frequencyMinutes: 5, overlapMinutes: 0, maxLookbackMinutes: 60 })).toMatchObject({ frequencyMinutes: 5, overlapMinutes: 0, maxLookbackMinutes: 60 });
  });

  it('refuses values that cannot work, naming the key and the reason', () => {
    expect(() => read({})).toThrow(/workspaceId/);
    expect(() => read({ workspaceId: 'w', overlapMinutes: -1 })).toThrow('detections.sentinel.overlapMinutes: must be a number of minutes of at least 0, got -1');
    expect(() => read({ workspaceId: 'w', frequencyMinutes: 0 })).toThrow(/frequencyMinutes: must be .* at least 1/);
    // a look-back shorter than one period (and its overlap) would skip time on every run
    expect(() => read({ workspaceId: 'w', frequencyMinutes: 60, overlapMinutes: 15, maxLookbackMinutes: 70 })).toThrow(/maxLookbackMinutes: must be at least frequencyMinutes \+ overlapMinutes \(75\), got 70/);
  });
});
