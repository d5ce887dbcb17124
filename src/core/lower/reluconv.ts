/** reluconv: NAS-Bench-201's ReLUConvBN, i.e. ReLU → conv k×k stride (same padding) → BN. */
import type { GraphBuilder } from '../graph/index.js';
import type { ReluConvSpec } from '../specs.js';
import { convBn } from './common.js';
import { actGain } from './gains.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

/** ReLU `<id>.relu`, conv `<id>.conv`, BN `<id>.conv.bn`; the ReLU in front is why the gain is relu's. */
export function reluConvBn(b: GraphBuilder, x: string, id: string, cout: number, k: number, stride: number, extraGain = 1): string {
  return convBn(b, b.act(x, 'relu', `${id}.relu`), `${id}.conv`, cout, { k, stride, gain: actGain('relu') * extraGain });
}

export const reluconv: Lowering<ReluConvSpec> = {
  fields: [f('cout', 'c', 'int'), f('k', 'k', 'int'), f('stride', 's', 'int')],
  lower: (b, s, [x], id) => reluConvBn(b, x, id, s.cout, s.k, s.stride),
};
