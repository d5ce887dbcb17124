/** Pieces several lowerings share: conv + BatchNorm (+ activation), squeeze-excitation. */
import type { ConvOptions, GraphBuilder } from '../graph/index.js';
import type { Act } from '../specs.js';
import { actGain } from './gains.js';

/** A conv `id` (no bias of its own) and its BatchNorm `<id>.bn`; weights scaled by `gain` (default 1). */
export function convBn(b: GraphBuilder, x: string, id: string, cout: number, o: ConvOptions): string {
  return b.bn(b.conv(x, id, cout, { ...o, bias: false }), `${id}.bn`);
}

/** convBn then `act` (node `<id>.<act>`); the conv's gain is actGain(act) unless given. */
export function convBnAct(b: GraphBuilder, x: string, id: string, cout: number, o: ConvOptions, act: Act): string {
  return b.act(convBn(b, x, id, cout, { gain: actGain(act), ...o }), act, `${id}.${act}`);
}

/**
 * Squeeze-excitation `id`: global average pool, 1×1 conv `<id>.reduce` (with bias) + act, 1×1 conv
 * `<id>.expand` (with bias), sigmoid, scale the input. mbconv and dwsep size the bottleneck from the
 * block's input channels, not from the channels it scales, so the caller passes `reduced`.
 */
export function squeezeExcite(b: GraphBuilder, x: string, id: string, reduced: number, act: Act): string {
  const channels = b.shape(x)[1];
  const pooled = b.node(`${id}.pool`, { op: 'gpool', mode: 'avg' }, [x]);
  const r = b.act(b.conv(pooled, `${id}.reduce`, reduced, { k: 1, bias: true, gain: actGain(act) }), act, `${id}.reduce.${act}`);
  const e = b.conv(r, `${id}.expand`, channels, { k: 1, bias: true, gain: 1 });
  return b.mul(x, b.act(e, 'sigmoid', `${id}.gate`), `${id}.scale`);
}
