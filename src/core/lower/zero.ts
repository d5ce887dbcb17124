/** zero: zeros of the input subsampled by the stride (DARTS' / NAS-Bench-201's "none" op). */
import type { ZeroSpec } from '../specs.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const zero: Lowering<ZeroSpec> = {
  fields: [f('stride', 's', 'int')],
  lower: (b, s, [x], id) => b.node(`${id}.zero`, { op: 'zero', stride: s.stride }, [x]),
};
