/**
 * Inputs kept on the GPU (webgpu-native option `inputs=gpu-buffer`, the default).
 *
 * A CPU tensor fed to a WebGPU session is uploaded on every run: a unit timed alone paid for writing its input
 * into a GPU buffer, which inside a network is an intermediate that never leaves the GPU. The Node binding has
 * no way to make a GPU tensor from JS data, but it takes one session's gpu-buffer output as another session's
 * input: so each input is uploaded once, before timing, by running a one-Identity session with
 * preferredOutputLocation 'gpu-buffer', and the GPU tensor it returns is fed to every timed run.
 */
import type * as Ort from 'onnxruntime-node';
import { GraphBuilder } from '../../export/onnx/graph.js';

/** input → Identity → output, float32 of `dims`. */
function identityModel(dims: readonly number[]): Uint8Array {
  const g = new GraphBuilder();
  g.addOutput(g.addInput('input', dims), 'output', dims);
  return g.encode('upload');
}

export interface DeviceFeeds {
  feeds: Record<string, Ort.Tensor>;
  /** Frees the GPU tensors and the sessions that made them. */
  release(): Promise<void>;
}

/**
 * `cpuFeeds` uploaded to the GPU: one Identity session per input (sessionOptions must ask for gpu-buffer
 * outputs on the same WebGPU device as the timed session), each run once; `wait` resolves when the GPU
 * queue is done (the device's fence), so the upload is not billed to the first timed run.
 */
export async function uploadFeeds(
  ort: typeof Ort,
  sessionOptions: Ort.InferenceSession.SessionOptions,
  cpuFeeds: Record<string, Ort.Tensor>,
  wait: () => Promise<unknown>,
): Promise<DeviceFeeds> {
  const sessions: Ort.InferenceSession[] = [];
  const feeds: Record<string, Ort.Tensor> = {};
  const release = async () => {
    for (const t of Object.values(feeds)) t.dispose();
    for (const s of sessions) await s.release();
  };
  try {
    for (const [name, tensor] of Object.entries(cpuFeeds)) {
      if (tensor.type !== 'float32') throw new Error(`input '${name}' is ${tensor.type}; only float32 inputs are uploaded`);
      const session = await ort.InferenceSession.create(identityModel(tensor.dims), sessionOptions);
      sessions.push(session);
      const out = await session.run({ input: tensor });
      const [value] = Object.values(out);
      if (value.location !== 'gpu-buffer') throw new Error(`uploading input '${name}' gave a tensor on '${value.location}', not on the GPU`);
      feeds[name] = value;
    }
    await wait();
  } catch (e) {
    await release();
    throw e;
  }
  return { feeds, release };
}
