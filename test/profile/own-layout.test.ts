import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveDevice } from '../../devices/registry.js';
import { ortCpuFactory } from '../../devices/ort-cpu/index.js';
import type { DeviceInfo, TimingProtocol } from '../../devices/types.js';
import { opModel } from '../../export/model.js';
import { validateLut } from '../../lut/validate.js';
import { opKey } from '../../src/core/keys.js';
import { instance, type OpInstance } from '../../src/core/ops.js';
import type { ProfiledKernel } from '../../src/onnx/ort-profile.js';
import type { OptimizedNode } from '../../src/onnx/partition.js';
import { edgeReorders, measureOwnLayout, ownLayoutOf, recordsOwnLayout } from '../../src/profile/own-layout.js';
import { profile } from '../../src/profile/profiler.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'own-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kernel = (op: string, minUs: number): ProfiledKernel => ({ name: op, op, provider: 'CPUExecutionProvider', outputShapes: [], durUs: 20 * minUs, minUs, subThreads: 0 });
const info = (runtime: string, options: Record<string, unknown>): DeviceInfo =>
  ({ device: 'x', runtime, runtimeVersion: '1', ep: runtime === 'onnxruntime-node' ? 'cpu' : 'wasm', options, host: { cpu: 'c', cores: 2, os: 'linux', node: 'v20' }, timing: 't' }) as DeviceInfo;

describe("a unit's own NCHWc reorders", () => {
  it('sums the reorder kernels of a profile, with or without their domain, and nothing else; edges apart', () => {
    const ks = [kernel('ReorderInput', 3), kernel('Conv', 50), kernel('com.microsoft.nchwc:ReorderOutput', 4), kernel('Relu', 2)];
    expect(ownLayoutOf(ks, new Set(['ReorderInput']))).toEqual({ reorders: 2, kernelMs: 0.007, edgeReorders: 1, edgeMs: 0.003, runs: 20 });
    expect(ownLayoutOf([kernel('Gemm', 9)], new Set())).toEqual({ reorders: 0, kernelMs: 0, edgeReorders: 0, edgeMs: 0, runs: 20 });
  });

  it('tells the reorders at a model\'s edges from those inside it', () => {
    const node = (name: string, op: string, inputs: string[], outputs: string[]): OptimizedNode => ({ name, op, inputs, outputs });
    const NCHWC = 'com.microsoft.nchwc';
    // x → ReorderInput → Conv → ReorderOutput → Slice → ReorderInput → Conv → ReorderOutput → y
    const nodes = [
      node('in0', `${NCHWC}:ReorderInput`, ['x'], ['a']),
      node('c0', `${NCHWC}:Conv`, ['a', 'w0'], ['b']),
      node('out0', `${NCHWC}:ReorderOutput`, ['b'], ['c']),
      node('s', 'Slice', ['c', 'st', 'en'], ['d']),
      node('in1', `${NCHWC}:ReorderInput`, ['d'], ['e']),
      node('c1', `${NCHWC}:Conv`, ['e', 'w1'], ['f']),
      node('out1', `${NCHWC}:ReorderOutput`, ['f'], ['y']),
    ];
    expect([...edgeReorders(nodes)].sort()).toEqual(['in0', 'out1']);
  });

  it('is recorded on ort-cpu at level all with 1 thread only', () => {
    expect(recordsOwnLayout(info('onnxruntime-node', { threads: 1, graphOptimizationLevel: 'all' }))).toBe(true);
    expect(recordsOwnLayout(info('onnxruntime-node', { threads: 0, graphOptimizationLevel: 'all' }))).toBe(false);
    expect(recordsOwnLayout(info('onnxruntime-node', { threads: 1, graphOptimizationLevel: 'extended' }))).toBe(false);
    expect(recordsOwnLayout(info('onnxruntime-web', { threads: 1, graphOptimizationLevel: 'all' }))).toBe(false);
  });
});

const ort = await ortCpuFactory.available();
const conv: OpInstance = instance({ kind: 'conv', cout: 32, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 32, 16, 16]);
const linear: OpInstance = instance({ kind: 'linear', cout: 10, act: 'none' }, [1, 64, 1, 1]);

describe.skipIf(ort !== true)(`own reorders measured on onnxruntime-node${ort === true ? '' : ` (skipped: ${ort})`}`, () => {
  it('a convolution alone converts into NCHWc and back; a Gemm runs no reorder', async () => {
    const own = await measureOwnLayout(opModel(conv));
    expect(own.reorders).toBeGreaterThanOrEqual(2);
    // A lone convolution's reorders are all at its edges: its input converted in, its output back.
    expect(own.edgeReorders).toBe(own.reorders);
    expect(own.edgeMs).toBe(own.kernelMs);
    expect(Number.isFinite(own.kernelMs) && own.kernelMs > 0).toBe(true);
    expect(await measureOwnLayout(opModel(linear))).toEqual({ reorders: 0, kernelMs: 0, edgeReorders: 0, edgeMs: 0, runs: 20 });
  });

  it('nas profile on ort-cpu (1 thread) stores it in each entry, and the LUT validates', async () => {
    const device = await resolveDevice('ort-cpu', { threads: 1 });
    const protocol: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 20, maxTimeMs: 200, targetCI: 0.5 };
    const lutPath = path.join(dir, 'cpu.lut.json');
    try {
      await profile({ device, instances: [conv, linear], protocol, lutPath });
    } finally {
      await device.dispose();
    }
    const lut = validateLut(JSON.parse(readFileSync(lutPath, 'utf8')), lutPath);
    expect(lut.entries[opKey(conv)].ownLayout!.reorders).toBeGreaterThanOrEqual(2);
    expect(lut.entries[opKey(linear)].ownLayout).toEqual({ reorders: 0, kernelMs: 0, edgeReorders: 0, edgeMs: 0, runs: 20 });
    // Not asked for: nothing recorded.
    const off = path.join(dir, 'off.lut.json');
    const d2 = await resolveDevice('ort-cpu', { threads: 1 });
    try {
      await profile({ device: d2, instances: [conv], protocol, lutPath: off, ownLayout: false });
    } finally {
      await d2.dispose();
    }
    expect(validateLut(JSON.parse(readFileSync(off, 'utf8')), off).entries[opKey(conv)].ownLayout).toBeUndefined();
  });
});
