/**
 * onnxruntime's profiler read back (src/onnx/ort-profile.ts) at the thread count a LUT was measured with:
 * the same kernels at any count, and which of them the intra-op pool ran in parallel. Structure only.
 */
import { describe, expect, it } from 'vitest';
import { opModel } from '../../export/model.js';
import { instance } from '../../src/core/ops.js';
import { kernelsOfTrace, ortProfileModel } from '../../src/onnx/ort-profile.js';

// Large enough that onnxruntime splits the conv over its pool's threads (64 channels on 56×56).
const model = opModel(instance({ kind: 'conv', cout: 64, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 64, 56, 56]));

describe('ortProfileModel threads', () => {
  it('profiles the same kernels at 1 and 2 intra-op threads; only with 2 does a pool thread run a part', async () => {
    const one = await ortProfileModel(model.onnx, model.inputs, 'all', 2);
    const two = await ortProfileModel(model.onnx, model.inputs, 'all', 2, 'half', 2);
    const shape = (ks: typeof one) => ks.map((k) => `${k.name}:${k.op}`).sort();
    expect(shape(two)).toEqual(shape(one));
    expect(one.every((k) => k.subThreads === 0)).toBe(true);
    // The conv itself (fused with its ReLU, in NCHWc or not) is split over the pool.
    expect(two.filter((k) => /Conv/.test(k.op)).some((k) => k.subThreads >= 1)).toBe(true);
    for (const k of [...one, ...two]) expect(k.minUs).toBeGreaterThan(0);
  });

  it('reads the pool threads that ran a part from thread_scheduling_stats, the most over the runs', () => {
    const event = (dur: number, sub: Record<string, { num_run: number }>) => ({
      cat: 'Node',
      name: 'conv_kernel_time',
      dur,
      args: { op_name: 'Conv', provider: 'CPUExecutionProvider', thread_scheduling_stats: { main_thread: {}, sub_threads: sub } },
    });
    const [k] = kernelsOfTrace(JSON.stringify([event(10, { a: { num_run: 0 } }), event(8, { a: { num_run: 1 }, b: { num_run: 2 } })]));
    expect(k).toMatchObject({ op: 'Conv', minUs: 8, durUs: 18, subThreads: 2 });
  });
});
