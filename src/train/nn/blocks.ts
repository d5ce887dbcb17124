/**
 * One trainable module per architecture layer, for the op kinds training supports. Parameter names
 * follow export/weights.ts: `<prefix>.<part>.weight|bias` with the parts
 *   conv: conv   dwconv: dw   dwsep: dw, se.reduce, se.expand, pw
 *   mbconv: expand, dw, se.reduce, se.expand, project   se: se.reduce, se.expand   linear: fc
 * and every conv's BatchNorm under `<prefix>.<part>.bn.gamma|beta|mean|var`.
 * Block structure as documented in src/core/ops.ts: MBConv = pw expand (if e != 1) + act, dw + act,
 * optional SE (hidden = ratio x block input channels), pw project (linear), optional identity skip.
 */
import { UserError } from '../../core/errors.js';
import { expandedChannels, legacyGap, seChannels, seedKindError, type Act, type OpSpec, type Shape } from '../../core/ops.js';
import { Activation } from './activation.js';
import { BatchNorm } from './batchnorm.js';
import { Conv, Depthwise, Pointwise } from './conv.js';
import { Linear, SqueezeExcite } from './dense.js';
import { Residual, Sequence, type Module } from './module.js';
import { GlobalPool, Identity, Pool, Zero } from './pool.js';

/** kinds the trainer can build */
export const TRAINABLE_KINDS = ['conv', 'dwconv', 'dwsep', 'mbconv', 'pool', 'gpool', 'identity', 'zero', 'linear', 'se'] as const;

/** conv (pointwise / k x k / depthwise) + BatchNorm + activation, named `<name>` and `<name>.bn`. */
function convBnAct(name: string, cin: number, cout: number, k: number, stride: number, depthwise: boolean, act: Act, seed: number): Module {
  const init = { seed, act };
  const conv = depthwise ? new Depthwise(name, cin, k, stride, init) : k === 1 && stride === 1 ? new Pointwise(name, cin, cout, init) : new Conv(name, cin, cout, k, stride, init);
  // relu and relu6 are fused into the BatchNorm; the others follow it.
  const fusable = act === 'none' || act === 'relu' || act === 'relu6';
  const parts: Module[] = [conv, new BatchNorm(`${name}.bn`, cout, fusable ? act : 'none')];
  if (!fusable) parts.push(new Activation(act));
  return new Sequence(parts);
}

function seModule(prefix: string, channels: number, reference: number, ratio: number, act: Act, seed: number): Module[] {
  return ratio > 0 ? [new SqueezeExcite(`${prefix}.se`, channels, seChannels(reference, ratio), act, seed)] : [];
}

/** The module for one layer; `input` is its NCHW input shape. */
export function buildLayer(spec: OpSpec, input: Shape, prefix: string, seed: number): Module {
  const gap = legacyGap(spec);
  if (gap) throw seedKindError(gap, 'the training engine');
  const cin = input[1];
  switch (spec.kind) {
    case 'conv': {
      if (spec.dilation !== 1) throw new UserError(`${prefix}: training supports conv dilation 1, got ${spec.dilation}`);
      const depthwise = spec.groups === cin && spec.cout === cin && cin > 1;
      if (spec.groups !== 1 && !depthwise)
        throw new UserError(`${prefix}: training supports conv groups 1 or depthwise (groups = channels), got groups ${spec.groups} for ${cin} -> ${spec.cout} channels`);
      return convBnAct(`${prefix}.conv`, cin, spec.cout, spec.k, spec.stride, depthwise, spec.act, seed);
    }
    case 'dwconv':
      if (spec.dilation !== 1) throw new UserError(`${prefix}: training supports dwconv dilation 1, got ${spec.dilation}`);
      return convBnAct(`${prefix}.dw`, cin, cin, spec.k, spec.stride, true, spec.act, seed);
    case 'dwsep': {
      const body = new Sequence([
        convBnAct(`${prefix}.dw`, cin, cin, spec.k, spec.stride, true, spec.act, seed),
        ...seModule(prefix, cin, cin, spec.se, spec.act, seed),
        convBnAct(`${prefix}.pw`, cin, spec.cout, 1, 1, false, 'none', seed),
      ]);
      return spec.skip ? new Residual(body) : body;
    }
    case 'mbconv': {
      const mid = expandedChannels(cin, spec.expand);
      const parts: Module[] = [];
      if (spec.expand !== 1) parts.push(convBnAct(`${prefix}.expand`, cin, mid, 1, 1, false, spec.act, seed));
      parts.push(convBnAct(`${prefix}.dw`, mid, mid, spec.k, spec.stride, true, spec.act, seed));
      parts.push(...seModule(prefix, mid, cin, spec.se, spec.act, seed));
      parts.push(convBnAct(`${prefix}.project`, mid, spec.cout, 1, 1, false, 'none', seed));
      const body = new Sequence(parts);
      return spec.skip ? new Residual(body) : body;
    }
    case 'se':
      return seModule(prefix, cin, cin, spec.ratio, spec.act, seed)[0] ?? new Identity();
    case 'pool':
      return new Pool(spec.mode, spec.k, spec.stride);
    case 'gpool':
      return new GlobalPool(spec.mode);
    case 'identity':
      return new Identity();
    case 'zero':
      return new Zero(spec.stride);
    case 'linear':
      return new Linear(`${prefix}.fc`, cin, spec.cout, spec.act, seed);
    default:
      throw new UserError(`${prefix}: training does not support '${spec.kind}' layers`, { hint: `trainable kinds: ${TRAINABLE_KINDS.join(', ')}` });
  }
}
