/**
 * EfficientNet's compound scaling (Tan & Le 2019, §3.3) of any chain architecture: depth d = α^φ,
 * width w = β^φ, resolution r = r₀·γ^φ, with α·β²·γ² ≈ 2 so that FLOPs grow by about 2^φ.
 *
 * How a structure is scaled follows the official code (efficientnet_builder / round_filters,
 * round_repeats): every channel count but the classifier's becomes a multiple of 8 within 10% of c·w
 * (roundFilters, shared with the seed catalog), every stage's repeats become ⌈n·d⌉, the input r×r.
 * A stage is a run of blocks that differ only in the first block's stride and skip: the added repeats
 * are copies of the stage's block at stride 1 with the identity skip, as the official builder makes them.
 */
import type { Architecture, Layer } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import type { OpSpec } from '../core/ops.js';
import { roundFilters } from '../spaces/seed-nets/efficientnet.js';

export interface ScaleFactors {
  width: number;
  depth: number;
  /** Input side in pixels. */
  resolution: number;
}

export interface Coefficients {
  alpha: number;
  beta: number;
  gamma: number;
}

/** The paper's coefficients for EfficientNet-B0 (§4: α = 1.2, β = 1.1, γ = 1.15). */
export const PAPER_COEFFICIENTS: Coefficients = { alpha: 1.2, beta: 1.1, gamma: 1.15 };

/** The factors of compound coefficient φ: d = α^φ, w = β^φ, r = round(r₀·γ^φ). */
export function factorsFor(c: Coefficients, phi: number, baseResolution: number): ScaleFactors {
  return { depth: c.alpha ** phi, width: c.beta ** phi, resolution: Math.round(baseResolution * c.gamma ** phi) };
}

/** α·β²·γ²: the FLOPs factor of one step of φ. */
export function flopsFactor(c: Coefficients): number {
  return c.alpha * c.beta ** 2 * c.gamma ** 2;
}

/**
 * The paper's small grid (§3.3, step 1): every α, β, γ ≥ 1 on a grid of `step` with |α·β²·γ² − 2| ≤ `tolerance`.
 * The paper's own (1.2, 1.1, 1.15) has α·β²·γ² = 1.92, inside the default tolerance of 0.1.
 */
export function coefficientGrid(opts: { step?: number; max?: number; tolerance?: number } = {}): Coefficients[] {
  const step = opts.step ?? 0.05;
  const max = opts.max ?? 2;
  const tolerance = opts.tolerance ?? 0.1;
  if (!(step > 0) || !(max > 1) || !(tolerance > 0)) throw new UserError(`coefficient grid: step, tolerance must be > 0 and max > 1, got step ${step}, max ${max}, tolerance ${tolerance}`);
  const values: number[] = [];
  for (let i = 0; 1 + i * step <= max + 1e-9; i++) values.push(Math.round((1 + i * step) * 1e6) / 1e6);
  const grid: Coefficients[] = [];
  for (const alpha of values) for (const beta of values) for (const gamma of values) if (Math.abs(flopsFactor({ alpha, beta, gamma }) - 2) <= tolerance) grid.push({ alpha, beta, gamma });
  return grid;
}

const hasCout = (s: OpSpec): s is OpSpec & { cout: number } => typeof (s as { cout?: unknown }).cout === 'number';
const hasStride = (s: OpSpec): s is OpSpec & { stride: number } => typeof (s as { stride?: unknown }).stride === 'number';

/** The spec a stage repeats: its block at stride 1 with the identity skip (when the kind has one). */
function repeatSpec(s: OpSpec): OpSpec {
  const r = { ...s } as OpSpec & { stride?: number; skip?: boolean };
  if (hasStride(s)) r.stride = 1;
  if ('skip' in s) r.skip = true;
  return r;
}

/** Same block up to the first block's stride and skip: the blocks of one stage. */
function sameStage(first: OpSpec, next: OpSpec): boolean {
  if (hasStride(next) && next.stride !== 1) return false;
  return JSON.stringify(repeatSpec(first)) === JSON.stringify(repeatSpec(next));
}

/** Runs of consecutive 'block' layers forming stages, as [start, end) index pairs into arch.layers. */
export function stagesOf(arch: Architecture): [number, number][] {
  const stages: [number, number][] = [];
  arch.layers.forEach((l, i) => {
    if (l.role !== 'block') return;
    const last = stages[stages.length - 1];
    if (last && last[1] === i && sameStage(arch.layers[last[0]].spec, l.spec)) last[1] = i + 1;
    else stages.push([i, i + 1]);
  });
  return stages;
}

/** The architecture scaled by `f`; the classifier (the last layer, a linear) keeps its classes. */
export function scaleArchitecture(arch: Architecture, f: ScaleFactors, name?: string): Architecture {
  if (arch.layers.some((l) => l.id !== undefined || l.inputs !== undefined)) throw new UserError(`compound scaling works on chain architectures; '${arch.name}' names layer inputs (a DAG)`);
  if (!(f.width > 0 && f.depth > 0 && Number.isInteger(f.resolution) && f.resolution > 0))
    throw new UserError(`scale factors must be positive (width ${f.width}, depth ${f.depth}) and the resolution a positive integer (${f.resolution})`);
  const widen = (l: Layer, i: number): Layer => {
    const classifier = i === arch.layers.length - 1 && l.spec.kind === 'linear';
    return hasCout(l.spec) && !classifier ? { ...l, spec: { ...l.spec, cout: roundFilters(l.spec.cout, f.width) } as OpSpec } : l;
  };
  const stages = stagesOf(arch);
  const layers: Layer[] = [];
  let next = 0;
  for (const [start, end] of stages) {
    for (let i = next; i < start; i++) layers.push(widen(arch.layers[i], i));
    const repeats = Math.ceil((end - start) * f.depth - 1e-9);
    for (let k = 0; k < repeats; k++) {
      const i = Math.min(start + k, end - 1);
      const layer = widen(arch.layers[i], i);
      layers.push(k < end - start ? layer : { ...layer, spec: repeatSpec(layer.spec) });
    }
    next = end;
  }
  for (let i = next; i < arch.layers.length; i++) layers.push(widen(arch.layers[i], i));
  const [n, c] = arch.input;
  const { space: _space, ...rest } = arch;
  return { ...rest, name: name ?? `${arch.name}×(w${round3(f.width)},d${round3(f.depth)},r${f.resolution})`, input: [n, c, f.resolution, f.resolution], layers };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
