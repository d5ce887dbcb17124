/** Primitive op → its definition: the one table the graph code and the backends dispatch through. */
import type { Prim } from '../types.js';
import { act } from './act.js';
import { add } from './add.js';
import { bn } from './bn.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import type { PrimitiveDef, PrimitiveTable } from './def.js';
import { flatten } from './flatten.js';
import { gpool } from './gpool.js';
import { linear } from './linear.js';
import { mul } from './mul.js';
import { instancenorm, layernorm } from './norms.js';
import { pool } from './pool.js';
import { shuffle } from './shuffle.js';
import { slice } from './slice.js';
import { split } from './split.js';
import { zero } from './zero.js';

export const PRIMITIVES: PrimitiveTable = { conv, bn, act, add, mul, concat, split, shuffle, slice, pool, gpool, flatten, linear, zero, layernorm, instancenorm };

/** The definition of `p`'s op (the table is keyed by op, so the entry always matches; TypeScript cannot see that). */
export function primitiveDef(p: Prim): PrimitiveDef<Prim> {
  if (!Object.prototype.hasOwnProperty.call(PRIMITIVES, p.op)) throw new Error(`unknown primitive '${String(p.op)}'; known: ${Object.keys(PRIMITIVES).join(', ')}`);
  return PRIMITIVES[p.op] as unknown as PrimitiveDef<Prim>;
}

export { samePads } from './conv.js';
