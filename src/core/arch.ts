/**
 * An Architecture is a whole network as a chain of layers (stem, searchable blocks, head) applied to a
 * fixed input. The same object is predicted (LUT), exported (ONNX) and evaluated (accuracy).
 */
import { UserError } from './errors.js';
import { outputShape, type DType, type OpInstance, type OpSpec, type Shape } from './ops.js';

export type LayerRole = 'stem' | 'block' | 'head';

export interface Layer {
  role: LayerRole;
  spec: OpSpec;
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
  layer: Layer;
  inst: OpInstance;
  output: Shape;
}

/** Each layer with the input shape it sees. Throws a UserError naming the first layer that does not fit. */
export function placeLayers(arch: Architecture): PlacedLayer[] {
  let shape: Shape = arch.input;
  return arch.layers.map((layer, index) => {
    let output: Shape;
    try {
      output = outputShape(layer.spec, shape);
    } catch (e) {
      throw new UserError(`architecture '${arch.name}', layer ${index} (${layer.role} ${layer.spec.kind}): ${(e as Error).message}`);
    }
    const placed = { index, layer, inst: { spec: layer.spec, input: shape, dtype: arch.dtype }, output };
    shape = output;
    return placed;
  });
}

export function outputOf(arch: Architecture): Shape {
  const placed = placeLayers(arch);
  return placed.length ? placed[placed.length - 1].output : arch.input;
}
