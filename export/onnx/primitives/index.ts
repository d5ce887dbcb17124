/** Primitive op → ONNX emitter: the one table the exporter dispatches through (typed, so every primitive has one). */
import { act } from './act.js';
import { add } from './add.js';
import { bn } from './bn.js';
import { concat } from './concat.js';
import { conv } from './conv.js';
import { flatten } from './flatten.js';
import { gpool } from './gpool.js';
import { linear } from './linear.js';
import { mul } from './mul.js';
import { instancenorm, layernorm } from './norms.js';
import { pool } from './pool.js';
import { shuffle } from './shuffle.js';
import { slice } from './slice.js';
import { split } from './split.js';
import type { EmitterTable } from './types.js';
import { zero } from './zero.js';

export const ONNX_EMITTERS: EmitterTable = { conv, bn, act, add, mul, concat, split, shuffle, slice, pool, gpool, flatten, linear, zero, layernorm, instancenorm };
export type { EmitContext, EmitterTable, PrimEmitter } from './types.js';
