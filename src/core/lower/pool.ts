/**
 * pool: k×k average or max pooling with same padding. Average pooling leaves padding out of the mean
 * (count_include_pad 0), as NAS-Bench-201's avg_pool_3x3 does, so the LUT's pool entry is exactly the
 * op a cell runs.
 */
import { samePads } from '../graph/index.js';
import type { PoolSpec } from '../specs.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const pool: Lowering<PoolSpec> = {
  fields: [f('mode', '', 'mode'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  lower: (b, s, [x], id) =>
    b.node(`${id}.${s.mode}pool`, { op: 'pool', mode: s.mode, kernel: [s.k, s.k], stride: [s.stride, s.stride], pads: samePads(s.k, s.k), ceil: false, countIncludePad: false }, [x]),
};
