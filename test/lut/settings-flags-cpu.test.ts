import { describe, expect, it } from 'vitest';
import { settingsFlags } from '../../lut/settings-flags.js';
import { device, protocol } from './fixtures.js';

describe('settingsFlags', () => {
  it('gives --cpu for a pinned LUT, nothing for an unpinned one', () => {
    expect(settingsFlags(device, { ...protocol, cpu: 'auto' })).toMatch(/--cpu auto$/);
    expect(settingsFlags(device, { ...protocol, cpu: '0,2' })).toMatch(/--cpu 0,2$/);
    expect(settingsFlags(device, protocol)).not.toMatch(/--cpu/);
  });
});
