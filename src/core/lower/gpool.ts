/** gpool: global average or max pooling to N×C×1×1. */
import type { GlobalPoolSpec } from '../specs.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const gpool: Lowering<GlobalPoolSpec> = {
  fields: [f('mode', '', 'mode')],
  lower: (b, s, [x], id) => b.node(`${id}.gpool`, { op: 'gpool', mode: s.mode }, [x]),
};
