/**
 * The 50 Once-for-All specialized sub-networks (../shared/data/third-party-luts/ofa_specialized_nets.json)
 * as Architectures, so the imported Note10 LUT (lut/import/ofa.ts) predicts them: `nas predict --lut L
 * --published note10_lat-30ms_top1-78.4_finetune-75`.
 *
 * MobileNetV3 nets: stem conv3x3 s2 hswish, MBConv blocks (SE on MID/4, relu or hswish), final expand
 * conv1x1 hswish, global pool, feature mix conv1x1 hswish on 1×1, linear. ProxylessNASNets: stem
 * conv3x3 s2 relu6, MBConv blocks, feature mix conv1x1 relu6, global pool, linear.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Architecture, Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import type { Act } from '../core/ops.js';
import { projectRoot } from '../core/paths.js';

interface OfaBlock {
  cin: number;
  cout: number;
  k: number;
  s: number;
  e: number;
  mid: number | null;
  act: string;
  se: boolean;
  residual: boolean;
}
export interface OfaNet {
  name: string;
  net_type: 'MobileNetV3' | 'ProxylessNASNets';
  image_size: number;
  top1: number;
  reported_latency_ms?: number;
  device: string;
  first_conv_out: number;
  blocks: OfaBlock[];
  final_expand: number | Record<string, never>;
  feature_mix: number;
  note10_lut_pred_ms?: number | null;
}

export function defaultOfaNetsPath(): string {
  return path.join(projectRoot(), '..', 'shared', 'data', 'third-party-luts', 'ofa_specialized_nets.json');
}

const ACTS: Record<string, Act> = { relu: 'relu', relu6: 'relu6', h_swish: 'hswish' };

function act(name: string, net: string): Act {
  const a = ACTS[name];
  if (!a) throw new UserError(`OFA net '${net}': activation '${name}' is not in the catalog`);
  return a;
}

export function loadOfaNets(file = defaultOfaNetsPath()): OfaNet[] {
  if (!existsSync(file)) throw new UserError(`OFA nets file not found: ${file}`, { hint: 'it ships in ../shared/data/third-party-luts/ beside the project' });
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { nets: OfaNet[] }).nets;
  } catch (e) {
    throw new UserError(`cannot read OFA nets from ${file}: ${(e as Error).message}`);
  }
}

/** One OFA net as an Architecture; `resolution` overrides its published image size. */
export function ofaArchitecture(net: OfaNet, opts: { resolution?: number; classes?: number } = {}): Architecture {
  const v3 = net.net_type === 'MobileNetV3';
  const stemAct: Act = v3 ? 'hswish' : 'relu6';
  const conv1x1 = (cout: number, a: Act): Layer => ({ role: 'head', spec: { kind: 'conv', cout, k: 1, stride: 1, groups: 1, dilation: 1, act: a } });
  const layers: Layer[] = [{ role: 'stem', spec: { kind: 'conv', cout: net.first_conv_out, k: 3, stride: 2, groups: 1, dilation: 1, act: stemAct } }];
  for (const b of net.blocks) {
    // OFA records the middle channel count; our MBConv holds the ratio (exact: OFA's MIDs are cin·e).
    const expand = b.mid ? b.mid / b.cin : b.e;
    layers.push({
      role: 'block',
      spec: { kind: 'mbconv', cout: b.cout, k: b.k, stride: b.s, expand, se: b.se ? 0.25 * expand : 0, act: act(b.act, net.name), skip: b.residual },
    });
  }
  const pool: Layer = { role: 'head', spec: { kind: 'gpool', mode: 'avg' } };
  if (v3) layers.push(conv1x1(net.final_expand as number, 'hswish'), pool, conv1x1(net.feature_mix, 'hswish'));
  else layers.push(conv1x1(net.feature_mix, 'relu6'), pool);
  layers.push({ role: 'head', spec: { kind: 'linear', cout: opts.classes ?? 1000, act: 'none' } });
  const res = opts.resolution ?? net.image_size;
  return { name: net.name, input: [1, 3, res, res], dtype: 'f32', layers };
}

/** The OFA net of that name, or undefined. */
export function ofaNet(name: string, opts: { file?: string; resolution?: number; classes?: number } = {}): Architecture | undefined {
  const net = loadOfaNets(opts.file).find((n) => n.name === name);
  return net && ofaArchitecture(net, opts);
}
