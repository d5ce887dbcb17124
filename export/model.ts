/**
 * The exporter's public API: one op instance, a whole architecture, or the empty model that measures
 * a runtime's per-session overhead, as ONNX bytes plus what a device needs to run them
 * (ModelUnderTest). Inputs are "input" ("input0".."input<n-1>" for a one-op sum), the output "output".
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { placeLayers, type Architecture } from '../src/core/arch.js';
import { UserError } from '../src/core/errors.js';
import { opKey } from '../src/core/keys.js';
import { lowerArchitecture, lowerInstance } from '../src/core/lower/index.js';
import { outputShape, type OpInstance, type Shape } from '../src/core/ops.js';
import type { ModelUnderTest } from '../src/core/contracts.js';
import { emitOnnx } from './onnx/emit.js';
import { GraphBuilder } from './onnx/graph.js';
import { Weights, type WeightSource } from './weights.js';

const { onnx } = onnxProto;

export interface ExportOptions {
  /** Seed of the generated weights (default 0): the same seed gives byte-identical models. */
  seed?: number;
  /** Trained weights by tensor name (see export/weights.ts); tensors it lacks are generated. */
  weights?: WeightSource;
  /**
   * Zeros instead of generated weights (a source's tensors still win): the same tensors and byte length, for a
   * model only timed on a device that never runs it (Device.needsWeights false, src/profile/entry-model.ts).
   */
  zeroWeights?: boolean;
}

const weightsOf = (opts: ExportOptions) => new Weights(opts.seed ?? 0, opts.weights, opts.zeroWeights);

/** A model made of one op instance (lowerInstance); key = opKey(inst), parameters named op.<part>.weight|bias. */
export function opModel(inst: OpInstance, opts: ExportOptions = {}): ModelUnderTest {
  outputShape(inst.spec, inst.input); // a UserError when the op cannot apply
  const key = opKey(inst);
  const graph = lowerInstance(inst);
  return { key, onnx: emitOnnx(graph, key, weightsOf(opts)).bytes, inputs: graph.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })), ops: [inst], graph };
}

/** The whole architecture as one model (lowerArchitecture); key = arch.name, parameters named <layer id>.<part>.weight|bias. */
export function networkModel(arch: Architecture, opts: ExportOptions = {}): ModelUnderTest {
  const placed = placeLayers(arch);
  if (!placed.length) throw new UserError(`architecture '${arch.name}' has no layers to export`);
  const graph = lowerArchitecture(arch);
  return { key: arch.name, onnx: emitOnnx(graph, arch.name, weightsOf(opts)).bytes, inputs: [{ name: 'input', shape: [...arch.input] }], ops: placed.map((p) => p.inst), graph };
}

/**
 * A single Identity on `shape`: timing it measures what a runtime costs per run with nothing to compute.
 * Its primitive graph (no nodes, the input is the output) is what the tfjs devices build.
 */
export function overheadModel(shape: Shape): ModelUnderTest {
  const g = new GraphBuilder();
  g.addOutput(g.addInput('input', [...shape]), 'output', [...shape]);
  const key = `overhead:${shape.join('x')}`;
  return { key, onnx: g.encode(key), inputs: [{ name: 'input', shape: [...shape] }], ops: [], graph: { inputs: [{ name: 'input', shape: [...shape] }], nodes: [], outputs: ['input'] } };
}

/** Reads and decodes an ONNX file; anything that is not a readable ONNX model is a UserError saying so. */
export async function readOnnxModel(path: string): Promise<onnxProto.onnx.ModelProto> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory, not a file' : (e as Error).message;
    throw new UserError(`cannot read ONNX model '${path}': ${why}`, { cause: e });
  }
  const hint = 'export one with nas-export, or check that the file was copied completely';
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`'${path}' is not an ONNX model or is truncated (${(e as Error).message})`, { hint, cause: e });
  }
  // Protobuf decodes many byte strings without complaint; a model must at least say its IR version
  // and have a graph with an output.
  if (!Number(model.irVersion) || !model.graph?.output?.length)
    throw new UserError(`'${path}' is not an ONNX model: no IR version or no graph outputs`, { hint });
  return model;
}
