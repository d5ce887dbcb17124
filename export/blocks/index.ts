/** Kind -> emitter: the one table the exporter dispatches through (typed so every kind has an entry). */
import type { LegacyKind, OpSpec } from '../../src/core/ops.js';
import { emitConv } from './conv.js';
import { emitDwConv } from './dwconv.js';
import { emitDwSep } from './dwsep.js';
import { emitGPool } from './gpool.js';
import { emitIdentity } from './identity.js';
import type { BlockEmitter } from './layers.js';
import { emitLinear } from './linear.js';
import { emitMbConv } from './mbconv.js';
import { emitNb201Cell } from './nb201cell.js';
import { emitPool } from './pool.js';
import { emitReluConv } from './reluconv.js';
import { emitResBlock } from './resblock.js';
import { emitSe } from './se.js';
import { emitSum } from './sum.js';
import { emitZero } from './zero.js';

export const BLOCK_EMITTERS: { readonly [K in LegacyKind]: BlockEmitter<Extract<OpSpec, { kind: K }>> } = {
  conv: emitConv,
  dwconv: emitDwConv,
  dwsep: emitDwSep,
  mbconv: emitMbConv,
  pool: emitPool,
  gpool: emitGPool,
  identity: emitIdentity,
  zero: emitZero,
  linear: emitLinear,
  se: emitSe,
  reluconv: emitReluConv,
  sum: emitSum,
  nb201cell: emitNb201Cell,
  resblock: emitResBlock,
};
