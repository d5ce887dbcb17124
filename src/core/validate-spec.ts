/**
 * Checks an architecture where it enters the tool (architecture files, front files, short forms,
 * published nets, random members of a space) before anything is built or allocated from it:
 * every field in range (kernel ≥ 1 and odd for the "same"-padded blocks, stride ≥ 1, channels within
 * bounds), every feature map at least 1×1, an input at least as large as the network's total stride,
 * and no tensor larger than MAX_TENSOR_BYTES (estimated from the shapes, so a resolution of 100000 is
 * refused with the figure instead of failing inside a runtime's allocator).
 */
import { placeLayers, type Architecture } from './arch.js';
import { UserError } from './errors.js';
import { expandedChannels, outputShape, type OpInstance, type OpSpec, type Shape } from './ops.js';

export const SPEC_LIMITS = {
  maxChannels: 65_536,
  maxKernel: 63,
  maxStride: 64,
  maxDilation: 64,
  maxExpand: 64,
  maxArity: 64,
  /** The largest single activation tensor (f32) a network may need: 1 GiB. */
  maxTensorBytes: 2 ** 30,
} as const;

const BYTES_PER_ELEMENT = 4;

/** What is wrong with the fields of `spec`, or undefined when every field is in range. */
export function specProblem(spec: OpSpec): string | undefined {
  const s = spec as unknown as Record<string, unknown>;
  const int = (name: string, min: number, max: number): string | undefined => {
    const v = s[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return `${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`;
    return undefined;
  };
  const num = (name: string, min: number, max: number, exclusiveMin = false): string | undefined => {
    const v = s[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (exclusiveMin && v === min) || v > max)
      return `${name} must be a number in ${exclusiveMin ? '(' : '['}${min}, ${max}], got ${JSON.stringify(v)}`;
    return undefined;
  };
  // A concat's channel list (one entry per input).
  const ints = (name: string, min: number, max: number): string | undefined => {
    const v = s[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length < 1 || v.length > SPEC_LIMITS.maxArity || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max))
      return `${name} must be a list of 1 to ${SPEC_LIMITS.maxArity} integers in [${min}, ${max}], got ${JSON.stringify(v)}`;
    return undefined;
  };
  const problems = [
    int('cout', 1, SPEC_LIMITS.maxChannels),
    int('k', 1, SPEC_LIMITS.maxKernel),
    int('stride', 1, SPEC_LIMITS.maxStride),
    int('dilation', 1, SPEC_LIMITS.maxDilation),
    int('groups', 1, SPEC_LIMITS.maxChannels),
    int('arity', 1, SPEC_LIMITS.maxArity),
    num('expand', 0, SPEC_LIMITS.maxExpand, true),
    // An MBConv's SE ratio is relative to the block's input channels: MobileNetV3 has 0.25 × expand 6 = 1.5.
    num('se', 0, SPEC_LIMITS.maxExpand),
    num('ratio', 0, 1, true),
    ints('channels', 1, SPEC_LIMITS.maxChannels),
  ];
  const first = problems.find((p) => p !== undefined);
  if (first) return first;
  // These blocks pad by (k−1)/2 on each side ("same" padding); an even kernel would shift the output by
  // half a pixel and shrink it by one, which breaks identity skips and differs between runtimes.
  if (['conv', 'dwconv', 'dwsep', 'mbconv', 'reluconv'].includes(spec.kind) && typeof s.k === 'number' && s.k % 2 === 0)
    return `k must be odd for a ${spec.kind} ("same" padding), got ${s.k}`;
  return undefined;
}

const count = (s: Shape) => s[0] * s[1] * s[2] * s[3];

/** Elements of the largest tensor one instance reads, writes or holds inside (an MBConv's expansion). */
export function largestTensor(inst: OpInstance, out: Shape = outputShape(inst.spec, inst.input)): { shape: Shape; elements: number } {
  const [n, c, h, w] = inst.input;
  const candidates: Shape[] = [inst.input, out];
  if (inst.spec.kind === 'mbconv') {
    const mid = expandedChannels(c, inst.spec.expand);
    candidates.push([n, mid, h, w], [n, mid, out[2], out[3]]);
  }
  if (inst.spec.kind === 'dwsep') candidates.push([n, c, out[2], out[3]]);
  let best = candidates[0];
  for (const s of candidates) if (count(s) > count(best)) best = s;
  return { shape: best, elements: count(best) };
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) [bytes, i] = [bytes / 1024, i + 1];
  return `${bytes.toFixed(bytes < 10 ? 1 : 0)} ${units[i]}`;
}

/** Refuses op instances with fields out of range or a tensor over the limit (profiling a space checks all of its ops). */
export function checkInstances(instances: readonly OpInstance[], where: (inst: OpInstance) => string): void {
  let worst: { inst: OpInstance; shape: Shape; elements: number } | undefined;
  for (const inst of instances) {
    const problem = specProblem(inst.spec);
    if (problem) throw new UserError(`${where(inst)}: ${problem}`);
    const t = largestTensor(inst);
    if (!worst || t.elements > worst.elements) worst = { inst, ...t };
  }
  if (worst) checkTensor(worst.shape, worst.elements, where(worst.inst), worst.inst.input[2]);
}

function checkTensor(shape: Shape, elements: number, where: string, resolution: number): void {
  const bytes = elements * BYTES_PER_ELEMENT;
  if (bytes <= SPEC_LIMITS.maxTensorBytes) return;
  // Activations grow with the square of the resolution (roughly: strides round up).
  const fits = Math.max(1, Math.floor(resolution * Math.sqrt(SPEC_LIMITS.maxTensorBytes / bytes)));
  throw new UserError(
    `${where}: its largest activation ${shape.join('x')} would take ${formatBytes(bytes)} (f32), over the ${formatBytes(SPEC_LIMITS.maxTensorBytes)} one tensor may take`,
    { hint: `use a smaller input resolution (at most about ${fits})` },
  );
}

/**
 * Checks a whole architecture: field ranges, shapes that chain, feature maps at least 1×1, an input
 * no smaller than the total stride, and the largest activation. Throws one UserError naming the layer.
 */
export function validateArchitectureSpec(arch: Architecture, where = `architecture '${arch.name}'`): void {
  const [n, c, h, w] = arch.input;
  if (![n, c, h, w].every((d) => Number.isInteger(d) && d >= 1)) throw new UserError(`${where}: input must be [N, C, H, W] positive integers, got ${JSON.stringify(arch.input)}`);
  if (c > SPEC_LIMITS.maxChannels) throw new UserError(`${where}: input has ${c} channels, more than ${SPEC_LIMITS.maxChannels}`);
  const layerLabel = (i: number) => {
    const l = arch.layers[i];
    return `${where}, layer ${i}${l.id !== undefined ? ` '${l.id}'` : ''} (${l.role} ${l.spec.kind})`;
  };
  arch.layers.forEach((layer, i) => {
    const problem = specProblem(layer.spec);
    if (problem) throw new UserError(`${layerLabel(i)}: ${problem}`);
  });
  const placed = placeLayers(arch); // ids, inputs (DAG) and shapes
  // The stride a layer's output has accumulated along the most-strided path from the input (a DAG's
  // parallel branches each add their own stride; a chain multiplies them all).
  const strideAt = new Map<string, number>([['input', 1]]);
  let stride = 1;
  let worst: { label: string; shape: Shape; elements: number } | undefined;
  for (const p of placed) {
    if (!(p.output[2] >= 1 && p.output[3] >= 1)) throw new UserError(`${layerLabel(p.index)}: its output would be ${p.output.join('x')}; the input is too small for this network`);
    const t = largestTensor(p.inst, p.output);
    if (!worst || t.elements > worst.elements) worst = { label: layerLabel(p.index), ...t };
    const s = (p.layer.spec as { stride?: number }).stride;
    const here = Math.max(...p.inputs.map((ref) => strideAt.get(ref) ?? 1)) * (typeof s === 'number' ? s : 1);
    strideAt.set(p.id, here);
    stride = Math.max(stride, here);
  }
  if (worst) checkTensor(worst.shape, worst.elements, worst.label, h);
  if (Math.min(h, w) < stride)
    throw new UserError(`${where}: input ${h}x${w} is smaller than the network's total stride ${stride}, so its last feature maps would be made of padding only`, {
      hint: `use an input resolution of at least ${stride}`,
    });
}
