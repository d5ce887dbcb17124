/**
 * sum: element-wise Sum of `arity` equally shaped tensors. A one-op model feeds it `arity` distinct
 * inputs (sumOf); inside a chain there is only one tensor, so the block adds `arity` copies of it.
 */
import type { SumSpec } from '../../src/core/ops.js';
import type { BlockContext, BlockEmitter } from './layers.js';

export function sumOf(ctx: BlockContext, inputs: readonly string[], name: string): string {
  return ctx.g.addNode('Sum', inputs, name);
}

export const emitSum: BlockEmitter<SumSpec> = (ctx, spec, x, _shape, prefix) => sumOf(ctx, Array(spec.arity).fill(x), `${prefix}.sum`);
