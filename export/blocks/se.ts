/**
 * se: squeeze-and-excitation. GlobalAveragePool -> 1x1 conv reduce + act -> 1x1 conv expand ->
 * Sigmoid -> scale the input. `squeezeExcite` is shared with mbconv and dwsep, whose bottleneck is
 * sized from the block's input channels rather than the channels it scales.
 */
import { seChannels, type Act, type SESpec } from '../../src/core/ops.js';
import { actGain } from '../weights.js';
import { activation, conv, type BlockContext, type BlockEmitter } from './layers.js';

export function squeezeExcite(ctx: BlockContext, x: string, channels: number, reduced: number, act: Act, name: string): string {
  const { g } = ctx;
  const pooled = g.addNode('GlobalAveragePool', [x], `${name}.pool`);
  const r = activation(ctx, conv(ctx, pooled, `${name}.reduce`, { cin: channels, cout: reduced, k: 1, gain: actGain(act) }), act, `${name}.reduce`);
  const e = conv(ctx, r, `${name}.expand`, { cin: reduced, cout: channels, k: 1, gain: 1 });
  return g.addNode('Mul', [x, g.addNode('Sigmoid', [e], `${name}.gate`)], `${name}.scale`);
}

export const emitSe: BlockEmitter<SESpec> = (ctx, spec, x, shape, prefix) =>
  squeezeExcite(ctx, x, shape[1], seChannels(shape[1], spec.ratio), spec.act, `${prefix}.se`);
