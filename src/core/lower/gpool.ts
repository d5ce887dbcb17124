/** gpool: global average or max pooling to N×C×1×1. */
import type { GlobalPoolSpec } from '../ops.js';
import type { Lowering } from './types.js';

export const gpool: Lowering<GlobalPoolSpec> = {
  lower: (b, s, [x], id) => b.node(`${id}.gpool`, { op: 'gpool', mode: s.mode }, [x]),
};
