/**
 * Timing GPU work whose outputs stay on the GPU.
 *
 * With preferredOutputLocation 'gpu-buffer', onnxruntime-node's session.run returns once the work is
 * queued, not done (measured: ~0.1 ms per run while the GPU took ~27 ms each), and reading such an
 * output back (Tensor.getData) aborts the process in onnxruntime-node 1.30. So each timed run is
 * followed by a fence: a one-float model on the same WebGPU device whose output comes back to the CPU.
 * Its readback maps a buffer, which waits for everything queued before it, so run + fence spans the
 * model's GPU work plus the fence's own small cost, without copying the model's outputs back.
 */
import { performance } from 'node:perf_hooks';
import type { SampleSource } from '../harness.js';

/** What session.run returns: outputs that may hold GPU buffers and must be released. */
type Outputs = Record<string, { dispose(): void }>;

export function fencedLoop(run: () => Promise<Outputs>, fence: () => Promise<unknown>): SampleSource {
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const outputs = await run();
    await fence();
    const ms = performance.now() - t0;
    // Released outside the timed span: freeing buffers is not part of the model's latency.
    for (const value of Object.values(outputs)) value.dispose();
    return ms;
  };
  return {
    cold: once,
    async samples(count: number) {
      const out = new Array<number>(count);
      for (let i = 0; i < count; i++) out[i] = await once();
      return out;
    },
  };
}
