/**
 * sum: element-wise sum of `arity` equally shaped tensors. In a DAG it reads its `arity` inputs; given
 * one input (a chain), it adds `arity` copies of it.
 */
import type { SumSpec } from '../ops.js';
import type { Lowering } from './types.js';

export const sum: Lowering<SumSpec> = {
  lower(b, s, xs, id) {
    const terms = xs.length === 1 ? Array<string>(s.arity).fill(xs[0]) : xs;
    if (terms.length !== s.arity) throw new Error(`${id}: sum of arity ${s.arity} got ${xs.length} inputs`);
    return b.add(terms, `${id}.sum`);
  },
};
