/**
 * Golden outputs of the exporter: what the ONNX files of the published nets, of random members of
 * every search space and of one op of every kind compute on a fixed input, with their LUT keys and the
 * names of their weight tensors. Recorded once (`npx tsx test/export/golden/record.ts`) and compared by
 * golden.test.ts, so a rewrite of the exporter has to compute the same functions (max |Δ| ≤ 1e-5)
 * under the same weight names, and decompose into the same LUT keys.
 */
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { Architecture } from '../../../src/core/arch.js';
import { lutInstances } from '../../../src/core/decompose.js';
import { opKey } from '../../../src/core/keys.js';
import type { OpInstance } from '../../../src/core/ops.js';
import { Rng } from '../../../src/core/rng.js';
import { loadPublishedNets } from '../../../src/spaces/published.js';
import { createSpace } from '../../../src/spaces/registry.js';
import { networkModel, opModel } from '../../../export/model.js';
import type { ModelUnderTest } from '../../../devices/types.js';
import { exportCases } from '../cases.js';
import { randomInput } from '../helpers.js';

/** Published nets at this resolution (small, so the suite stays fast; every stride still applies). */
export const PUBLISHED_RESOLUTION = 64;
export const SPACE_RESOLUTION = 32;
export const SPACE_SEEDS = [0, 1, 2];
/** At most this many output values are kept: the first ones, then an even stride over the rest. */
const KEPT = 32;

export interface GoldenRecord {
  name: string;
  /** Output dims. */
  dims: number[];
  /** The values at keptIndices(output length), to float32 precision (9 significant digits). */
  values: number[];
  sum: number;
  absSum: number;
  /** sha256 of the sorted "name:dims" of every weight/bias initializer. */
  params: string;
  paramCount: number;
  /** LUT keys in order (networks), or the model's key (one op). */
  keys: string[];
}

export interface GoldenCase {
  name: string;
  model: () => ModelUnderTest;
  keys: () => string[];
}

export function goldenArchitectures(): Architecture[] {
  const archs = [...loadPublishedNets({ resolution: PUBLISHED_RESOLUTION }).nets];
  for (const id of ['mbv2', 'mnasnet', 'nb201']) {
    const space = createSpace(id, { resolution: SPACE_RESOLUTION });
    for (const seed of SPACE_SEEDS) {
      const arch = space.build(space.sample(new Rng(seed)));
      archs.push({ ...arch, name: `${id}-seed${seed}` });
    }
  }
  return archs;
}

export function goldenCases(): GoldenCase[] {
  const nets: GoldenCase[] = goldenArchitectures().map((arch) => ({
    name: `net:${arch.name}`,
    model: () => networkModel(arch),
    keys: () => lutInstances(arch).map(({ inst }) => opKey(inst)),
  }));
  const ops: GoldenCase[] = exportCases().map((inst: OpInstance) => ({ name: `op:${opKey(inst)}`, model: () => opModel(inst), keys: () => [opKey(inst)] }));
  return [...nets, ...ops];
}

function paramDigest(onnx: Uint8Array): { params: string; paramCount: number } {
  const model = onnxProto.onnx.ModelProto.decode(onnx);
  const names = (model.graph?.initializer ?? [])
    .filter((t) => /\.(weight|bias)$/.test(t.name ?? ''))
    .map((t) => `${t.name}:${(t.dims ?? []).map(Number).join('x')}`)
    .sort();
  return { params: createHash('sha256').update(names.join('\n')).digest('hex').slice(0, 16), paramCount: names.length };
}

/** Runs the model once on the fixed inputs (input k from randomInput(shape, k + 1)). */
export async function outputs(model: ModelUnderTest): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(model.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    model.inputs.forEach((input, k) => (feeds[input.name] = new ort.Tensor('float32', randomInput(input.shape, k + 1), input.shape)));
    const out = (await session.run(feeds)).output;
    return { data: out.data as Float32Array, dims: [...out.dims].map(Number) };
  } finally {
    await session.release();
  }
}

export function keptIndices(length: number): number[] {
  if (length <= KEPT) return Array.from({ length }, (_, i) => i);
  const head = Array.from({ length: KEPT / 2 }, (_, i) => i);
  const step = (length - KEPT / 2) / (KEPT / 2);
  return [...head, ...Array.from({ length: KEPT / 2 }, (_, i) => KEPT / 2 + Math.floor(i * step))];
}

export async function record(c: GoldenCase): Promise<GoldenRecord> {
  const model = c.model();
  const { data, dims } = await outputs(model);

  let sum = 0;
  let absSum = 0;
  for (const v of data) {
    sum += v;
    absSum += Math.abs(v);
  }
  return { name: c.name, dims, values: keptIndices(data.length).map((i) => Number(data[i].toPrecision(9))), sum, absSum, ...paramDigest(model.onnx), keys: c.keys() };
}
