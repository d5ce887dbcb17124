/** zero: zeros of the input subsampled by the stride (DARTS' / NAS-Bench-201's "none" op). */
import type { ZeroSpec } from '../ops.js';
import type { Lowering } from './types.js';

export const zero: Lowering<ZeroSpec> = {
  lower: (b, s, [x], id) => b.node(`${id}.zero`, { op: 'zero', stride: s.stride }, [x]),
};
