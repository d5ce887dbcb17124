/**
 * An Architecture is a whole network as a DAG of blocks (stem, searchable blocks, head) applied to a
 * fixed input. The same object is predicted (LUT), exported (ONNX) and evaluated (accuracy).
 *
 * The common short form is a chain: layer i reads layer i-1 (the first reads the input) and is named
 * `layer<i>`. A layer may instead name its inputs by id (`inputs: ["input", "layer2", "branch_b"]`) and
 * carry its own `id`; a block may read several inputs (sum, concat, cells with two inputs). The output
 * is the last layer's. Layer ids name the layer's weights (`<id>.<part>.weight`).
 */
import { UserError } from './errors.js';
import { inputShapes, outputShape, type Act, type ConvSpec, type DType, type OpInstance, type OpSpec, type Shape } from './ops.js';

export type LayerRole = 'stem' | 'block' | 'head';

export interface Layer {
  role: LayerRole;
  spec: OpSpec;
  /** Default `layer<index>`. */
  id?: string;
  /** Ids of the layers (or `input`) it reads, in order. Default: the layer before it (or `input`). */
  inputs?: string[];
}

export interface Architecture {
  name: string;
  /** Search space that produced it, e.g. "mbv2", with the options it was built with. */
  space?: { id: string; resolution: number; encoding: number[] };
  input: Shape;
  dtype: DType;
  layers: Layer[];
}

export interface PlacedLayer {
  index: number;
  /** The layer's id: its own, or `layer<index>`. */
  id: string;
  /** Ids it reads (`input` is the architecture's input). */
  inputs: string[];
  layer: Layer;
  /** The instance: spec and its first input's shape (what the LUT key holds). */
  inst: OpInstance;
  output: Shape;
}

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function layerId(layer: Layer, index: number): string {
  return layer.id ?? `layer${index}`;
}

/** Each layer with the input shape it sees. Throws a UserError naming the first layer that does not fit. */
export function placeLayers(arch: Architecture): PlacedLayer[] {
  const shapes = new Map<string, Shape>([['input', arch.input]]);
  let prev = 'input';
  const placed = arch.layers.map((layer, index): PlacedLayer => {
    const id = layerId(layer, index);
    const where = `architecture '${arch.name}', layer ${index}${layer.id ? ` '${id}'` : ''} (${layer.role} ${layer.spec.kind})`;
    if (layer.id !== undefined && (!ID.test(layer.id) || /^layer\d+$/.test(layer.id) && layer.id !== `layer${index}`))
      throw new UserError(`${where}: id must be letters, digits and _ (not starting with a digit), and not another layer's default name layer<i>`);
    if (shapes.has(id)) throw new UserError(`${where}: id '${id}' is used twice`);
    const inputs = layer.inputs ?? [prev];
    if (!Array.isArray(inputs) || inputs.length === 0) throw new UserError(`${where}: "inputs" must list at least one id`);
    const given = inputs.map((ref) => {
      const s = shapes.get(ref);
      if (!s) throw new UserError(`${where}: input '${ref}' is not the input or an earlier layer (known: ${[...shapes.keys()].join(', ')})`);
      return s;
    });
    let output: Shape;
    try {
      const expected = inputShapes(layer.spec, given[0]);
      // A chain's sum adds copies of its one input; otherwise every input the kind takes is named.
      const chainSum = layer.spec.kind === 'sum' && given.length === 1;
      if (!chainSum && expected.length !== given.length) throw new UserError(`takes ${expected.length} input(s), ${given.length} named`);
      if (!chainSum)
        expected.forEach((s, i) => {
          if (s.join('x') !== given[i].join('x')) throw new UserError(`input ${i} ('${inputs[i]}') is ${given[i].join('x')}, expected ${s.join('x')}`);
        });
      output = outputShape(layer.spec, given[0]);
    } catch (e) {
      throw new UserError(`${where}: ${(e as Error).message}`);
    }
    shapes.set(id, output);
    prev = id;
    return { index, id, inputs: [...inputs], layer, inst: { spec: layer.spec, input: given[0], dtype: arch.dtype }, output };
  });
  // A layer nothing reads would be counted by the LUT but dropped by every runtime.
  const read = new Set(placed.flatMap((p) => p.inputs));
  const dead = placed.slice(0, -1).filter((p) => !read.has(p.id));
  if (dead.length) throw new UserError(`architecture '${arch.name}': nothing reads layer${dead.length > 1 ? 's' : ''} ${dead.map((p) => `'${p.id}'`).join(', ')}; only the last layer is the output`);
  return placed;
}

export function outputOf(arch: Architecture): Shape {
  const placed = placeLayers(arch);
  return placed.length ? placed[placed.length - 1].output : arch.input;
}

/** True when every layer reads the one before it (the short form). */
export function isChain(arch: Architecture): boolean {
  return arch.layers.every((l, i) => l.id === undefined && (l.inputs === undefined || (l.inputs.length === 1 && l.inputs[0] === (i === 0 ? 'input' : `layer${i - 1}`))));
}

// ---- building architectures: the pieces the spaces, seed nets, tests and benchmarks write alike ----

/** A chain architecture (f32) from its specs by role, in order: stem, blocks, head. */
export function chainArch(name: string, input: Shape, parts: { stem?: readonly OpSpec[]; blocks?: readonly OpSpec[]; head?: readonly OpSpec[] }): Architecture {
  const role = (r: LayerRole, specs: readonly OpSpec[] = []): Layer[] => specs.map((spec) => ({ role: r, spec }));
  return { name, input, dtype: 'f32', layers: [...role('stem', parts.stem), ...role('block', parts.blocks), ...role('head', parts.head)] };
}

/** A plain conv: dilation 1, one group unless `extra.groups`, "same" padding unless `extra.pad`. */
export const convSpec = (cout: number, k: number, stride: number, act: Act = 'relu', extra: { pad?: number; groups?: number } = {}): ConvSpec => ({
  kind: 'conv',
  cout,
  k,
  stride,
  groups: extra.groups ?? 1,
  dilation: 1,
  act,
  ...(extra.pad !== undefined ? { pad: extra.pad } : {}),
});

/** The usual classifier head: global average pool, then a linear layer. */
export const classifierHead = (classes: number): OpSpec[] => [
  { kind: 'gpool', mode: 'avg' },
  { kind: 'linear', cout: classes, act: 'none' },
];
