/**
 * AnyNet / RegNet models (Radosavovic et al. 2020, "Designing Network Design Spaces"; pycls `anynet.py`,
 * `regnet.py`): a 3×3 stride-2 stem of 32 channels, four stages of bottleneck blocks (each stage starts with
 * stride 2; depth d, width w, bottleneck ratio b, group width g, optional SE at 0.25 of the block input),
 * then global pooling and a linear classifier. RegNets choose the per-stage (d, w) by the quantized linear rule.
 */
import type { Architecture, Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';

export interface AnyStage {
  depth: number;
  width: number;
  /** pycls's bottleneck multiplier: the 3×3 works on width · bot channels (the paper's ratio b is 1 / bot). */
  bot: number;
  groupWidth: number;
}

export const ANYNET_STEM = 32;

/** The paper's quantized linear widths: u_j = w0 + wa·j, s_j = round(log(u_j / w0) / log wm), w_j = q-rounded w0·wm^s_j. */
export function regnetStages(p: { depth: number; w0: number; wa: number; wm: number; q?: number }): { widths: number[]; depths: number[] } {
  const q = p.q ?? 8;
  if (!(p.wa >= 0 && p.w0 > 0 && p.wm > 1 && p.w0 % q === 0 && p.depth >= 1))
    throw new UserError(`regnet: need wa ≥ 0, w0 > 0 divisible by ${q}, wm > 1 and depth ≥ 1, got d ${p.depth} w0 ${p.w0} wa ${p.wa} wm ${p.wm}`);
  const per: number[] = [];
  for (let j = 0; j < p.depth; j++) {
    const u = p.w0 + p.wa * j;
    const s = Math.round(Math.log(u / p.w0) / Math.log(p.wm));
    per.push(Math.round((p.w0 * Math.pow(p.wm, s)) / q) * q);
  }
  const widths: number[] = [];
  const depths: number[] = [];
  for (const w of per) {
    if (widths.length && widths[widths.length - 1] === w) depths[depths.length - 1]++;
    else {
      widths.push(w);
      depths.push(1);
    }
  }
  return { widths, depths };
}

/**
 * pycls `adjust_block_compatibility`: the group width is at most the bottleneck width, and the bottleneck width a
 * multiple of the group width (and of b when b > 1); the stage width follows from it.
 */
export function compatibleStage(width: number, bot: number, groupWidth: number): { width: number; mid: number; groups: number } {
  let v = Math.max(1, Math.trunc(width * bot));
  const g = Math.min(groupWidth, v);
  const m = bot < 1 && Number.isInteger(1 / bot) ? lcm(g, 1 / bot) : g;
  v = Math.max(m, Math.round(v / m) * m);
  return { width: Math.trunc(v / bot), mid: v, groups: v / g };
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a * b) / gcd(a, b);
}

/** A RegNet's parameters (the paper's d, w0, wa, wm, g, b): b is the bottleneck ratio, the 3×3 works on w / b channels (pycls BOT_MUL = 1 / b). */
export interface RegNetParams {
  depth: number;
  w0: number;
  wa: number;
  wm: number;
  g: number;
  b: number;
}

/** A RegNet X (se 0) or Y (se 0.25): stages by the quantized linear rule, every stage at ratio b and group width g. The space and the published nets build through here. */
export function regnetArch(name: string, p: RegNetParams, opts: { resolution: number; classes: number; se: number }): Architecture {
  const { widths, depths } = regnetStages(p);
  return anynetArch(name, widths.map((width, i) => ({ depth: depths[i], width, bot: 1 / p.b, groupWidth: p.g })), opts);
}

export function anynetArch(name: string, stages: readonly AnyStage[], opts: { resolution: number; classes: number; se: number }): Architecture {
  const layers: Layer[] = [{ role: 'stem', spec: { kind: 'conv', cout: ANYNET_STEM, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu' } }];
  for (const st of stages) {
    const { width, mid, groups } = compatibleStage(st.width, st.bot, st.groupWidth);
    for (let i = 0; i < st.depth; i++)
      layers.push({ role: 'block', spec: { kind: 'bottleneck', cout: width, stride: i === 0 ? 2 : 1, mid, groups, se: opts.se } });
  }
  layers.push({ role: 'head', spec: { kind: 'gpool', mode: 'avg' } }, { role: 'head', spec: { kind: 'linear', cout: opts.classes, act: 'none' } });
  return { name, input: [1, 3, opts.resolution, opts.resolution], dtype: 'f32', layers };
}
