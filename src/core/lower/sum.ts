/**
 * sum: element-wise sum of `arity` equally shaped tensors. In a DAG it reads its `arity` inputs; given
 * one input (a chain), it adds `arity` copies of it.
 */
import { UserError } from '../errors.js';
import type { SumSpec } from '../specs.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const sum: Lowering<SumSpec> = {
  fields: [f('arity', 'n', 'int')],
  inputs(s, input) {
    if (!Number.isInteger(s.arity) || s.arity < 1) throw new UserError(`sum: arity must be a positive integer, got ${s.arity}`);
    return Array.from({ length: s.arity }, () => input);
  },
  lower(b, s, xs, id) {
    const terms = xs.length === 1 ? Array<string>(s.arity).fill(xs[0]) : xs;
    if (terms.length !== s.arity) throw new Error(`${id}: sum of arity ${s.arity} got ${xs.length} inputs`);
    return b.add(terms, `${id}.sum`);
  },
};
