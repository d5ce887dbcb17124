/**
 * A space seen as a layer assignment (NIR, Meng et al. AAAI 2020): how many layers each stage gets, every
 * other decision held fixed. Two kinds of spaces let stage depths vary:
 *
 *   layer-wise with skip (mbv2, proxyless, fbnet; src/core/layerwise.ts): a stage is a layer decision
 *     without `skip` (its first layer, which changes the shape) and the skippable decisions after it;
 *     skippable layers before the first such decision (fbnet's layer1) are a stage of 0 or more layers;
 *     depth d keeps the first d layers of the stage at one block option (`op`, default k3e6 / k3_e6
 *     where the space has it) and skips the rest; a head decision (fbnet's) stays at its first option.
 *   per-stage depth decisions (anynet … anynet-e): decisions d1…dS; every other decision stays at a base
 *     vector (default: option 0, widths w_i at their i-th option, i.e. 32/64/128/256 on AnyNet's grid).
 *
 * `regnet` derives its stage depths from one total depth by the width rule, so it has no per-stage depth
 * to search: it is refused with a pointer to anynet (the same bottleneck body, depths per stage).
 */
import { UserError } from '../../core/errors.js';
import { layerwiseView, notLayerwise } from '../../core/layerwise.js';
import type { SearchSpace } from '../../core/space.js';

export interface DepthStage {
  name: string;
  min: number;
  max: number;
}

export interface DepthView {
  space: SearchSpace;
  stages: DepthStage[];
  /** How the fixed decisions were set, for logs and the checkpoint fingerprint. */
  fixed: string;
  /** The space's choice vector of an assignment (depth per stage). */
  encode(depths: readonly number[]): number[];
}

export const SKIP_LABEL = 'skip';
/** MobileNetV2's block, as mbv2 and fbnet name it. */
const DEFAULT_OPS = ['k3e6', 'k3_e6'];

/** `1-2-4-3`: an assignment as a short label. */
export const depthLabel = (depths: readonly number[]): string => depths.join('-');

export function depthView(space: SearchSpace, opts: { op?: string; base?: readonly number[] } = {}): DepthView {
  const decisions = space.decisions();
  if (space.id === 'regnet')
    throw new UserError("regnet's stage depths follow from one total depth d (the quantized linear width rule), so there is no per-stage depth to assign", {
      hint: 'use --space anynet-e (or anynet): the same bottleneck body with a depth per stage',
    });
  const depthDecisions = decisions.map((d, i) => ({ d, i })).filter(({ d }) => /^d\d+$/.test(d.name));
  if (depthDecisions.length > 0) return perStageDepths(space, depthDecisions, opts);
  if (decisions.some((d) => d.options.includes(SKIP_LABEL))) return layerwise(space, opts);
  throw new UserError(`space '${space.id}' has no stage depths to assign (neither per-stage depth decisions d1, d2, … nor skippable layers)`, {
    hint: 'use --space mbv2 (skippable layers per stage) or anynet / anynet-e (a depth per stage)',
  });
}

function layerwise(space: SearchSpace, opts: { op?: string }): DepthView {
  const decisions = space.decisions();
  // Which decisions are layers: a head decision (fbnet's head width) stays at its first option.
  const view = layerwiseView(space, { refuse: (why) => notLayerwise(space.id, 'so its skippable layers do not form stages', why, 'use --space mbv2 or anynet for --strategy nir') });
  const layers = view.decisions.filter((d) => d.at === 'block').map((d) => d.index);
  const op = opts.op ?? DEFAULT_OPS.find((o) => layers.every((k) => decisions[k].options.includes(o))) ?? decisions[layers[0]].options[0];
  const opIndex = layers.map((k) => {
    const i = decisions[k].options.indexOf(op);
    if (i < 0) throw new UserError(`--nir-op ${op} is not an option of ${decisions[k].name} in space '${space.id}'`, { hint: `choose one of ${decisions[k].options.filter((o) => o !== SKIP_LABEL).join(', ')}` });
    return i;
  });
  // A layer decision without skip opens a stage; skippable layers before the first one (fbnet's layer1) are a stage of 0 or more layers.
  const starts: number[] = [];
  layers.forEach((k, j) => {
    if (!decisions[k].options.includes(SKIP_LABEL) || j === 0) starts.push(j);
  });
  const stages = starts.map((s, n) => ({
    name: `stage${n + 1}`,
    min: decisions[layers[s]].options.includes(SKIP_LABEL) ? 0 : 1,
    max: (starts[n + 1] ?? layers.length) - s,
  }));
  const fixed = view.decisions.filter((d) => d.at === 'head').map((d) => ` ${d.name}=${d.options[0]}`).join('');
  return {
    space,
    stages,
    fixed: `every kept layer ${op}${fixed}`,
    encode(depths) {
      checkDepths(space, stages, depths);
      const out = decisions.map(() => 0);
      stages.forEach((st, n) => {
        for (let j = 0; j < st.max; j++) {
          const k = layers[starts[n] + j];
          out[k] = j < depths[n] ? opIndex[starts[n] + j] : decisions[k].options.indexOf(SKIP_LABEL);
        }
      });
      return out;
    },
  };
}

function perStageDepths(space: SearchSpace, depthDecisions: { d: { name: string; options: string[] }; i: number }[], opts: { base?: readonly number[] }): DepthView {
  const decisions = space.decisions();
  const base =
    opts.base ??
    decisions.map((d) => {
      const w = /^w(\d+)$/.exec(d.name);
      return w ? Math.min(Number(w[1]) - 1, d.options.length - 1) : 0;
    });
  if (base.length !== decisions.length) throw new UserError(`space '${space.id}': a base vector has ${decisions.length} entries, got ${base.length}`);
  const stages = depthDecisions.map(({ d }) => {
    const values = d.options.map(Number);
    if (!values.every((v, k) => Number.isInteger(v) && v >= 1 && (k === 0 || v === values[k - 1] + 1)))
      throw new UserError(`space '${space.id}': ${d.name}'s options ${d.options.join(', ')} are not consecutive layer counts`);
    return { name: `stage${d.name.slice(1)}`, min: values[0], max: values[values.length - 1] };
  });
  const labels = decisions.filter((_, i) => !depthDecisions.some((x) => x.i === i)).map((d) => `${d.name}=${d.options[base[decisions.indexOf(d)]]}`);
  return {
    space,
    stages,
    fixed: labels.join(' '),
    encode(depths) {
      checkDepths(space, stages, depths);
      const out = [...base];
      depthDecisions.forEach(({ i }, n) => (out[i] = depths[n] - stages[n].min));
      return out;
    },
  };
}

function checkDepths(space: SearchSpace, stages: readonly DepthStage[], depths: readonly number[]): void {
  if (depths.length !== stages.length || !depths.every((d, n) => Number.isInteger(d) && d >= stages[n].min && d <= stages[n].max))
    throw new UserError(`space '${space.id}': an assignment gives ${stages.length} stages ${stages.map((s) => `${s.min}..${s.max}`).join(', ')} layers, got ${depthLabel(depths)}`);
}

/** The assignments one layer deeper than `parent`: one more layer in one stage (stages already at their maximum are left). */
export function expand(stages: readonly DepthStage[], parent: readonly number[]): number[][] {
  const out: number[][] = [];
  stages.forEach((st, n) => {
    if (parent[n] < st.max) out.push(parent.map((d, k) => (k === n ? d + 1 : d)));
  });
  return out;
}
