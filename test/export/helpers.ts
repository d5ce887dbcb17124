/** Shared by the export tests: run a model in onnxruntime-node, and the onnx checker in one python process. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelUnderTest } from '../../devices/types.js';
import { Rng } from '../../src/core/rng.js';

export function randomInput(shape: readonly number[], seed = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
}

/** Runs the model once on the given (or random) inputs; returns the output's data and dims. */
export async function run(model: ModelUnderTest, data?: Float32Array[]): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(model.onnx);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    model.inputs.forEach((input, i) => {
      feeds[input.name] = new ort.Tensor('float32', data?.[i] ?? randomInput(input.shape, i + 1), input.shape);
    });
    const out = (await session.run(feeds)).output;
    return { data: out.data as Float32Array, dims: [...out.dims] };
  } finally {
    await session.release();
  }
}

/** Runs an ONNX file (input `input`, 1x3xRxR of 0.5) once; checks every output value is finite and returns the output's dims. */
export async function runFileOutputDims(file: string, resolution: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(file);
  try {
    const x = new ort.Tensor('float32', new Float32Array(3 * resolution * resolution).fill(0.5), [1, 3, resolution, resolution]);
    const y = (await session.run({ input: x })).output;
    if (![...(y.data as Float32Array)].every(Number.isFinite)) throw new Error(`${file}: an output value is not finite`);
    return [...y.dims];
  } finally {
    await session.release();
  }
}

export const PYTHON = '/usr/bin/python3';
export const PYTHON_ONNX_MISSING =
  spawnSync(PYTHON, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0
    ? undefined
    : `skipped: ${PYTHON} cannot import onnx; install the checker with: apt-get install python3-onnx`;

const CHECK_SCRIPT = `
import json, sys, onnx
failures = {}
for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
    except Exception as e:
        failures[path] = str(e).splitlines()[0] if str(e) else type(e).__name__
print(json.dumps(failures))
`;

/** onnx.checker.check_model(full_check=True) on every model, in one python process; returns name -> error. */
export function onnxCheck(models: { name: string; onnx: Uint8Array }[]): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'hwnas-export-'));
  try {
    const paths = models.map((m, i) => {
      const p = join(dir, `${i}.onnx`);
      writeFileSync(p, m.onnx);
      return p;
    });
    const r = spawnSync(PYTHON, ['-c', CHECK_SCRIPT, ...paths], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`onnx checker failed to run: ${r.stderr}`);
    const byPath = JSON.parse(r.stdout) as Record<string, string>;
    return Object.fromEntries(Object.entries(byPath).map(([p, err]) => [models[paths.indexOf(p)].name, err]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
