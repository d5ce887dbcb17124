/**
 * The onnxruntime the ONNX benches time models on, as the devices do (1 thread, level all): onnxruntime-node's CPU
 * provider (ort-cpu) or onnxruntime-web's wasm backend, behind one session type; and the model ort-cpu optimizes a
 * file into (bench/onnx-own-reorders.ts, bench/onnx-file-reorders.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ortCpuSessionOptions } from '../devices/ort-cpu/index.js';
import type { Float32TensorCtor } from '../devices/ort-wasm/feeds.js';

export interface Session {
  run(feeds: Record<string, unknown>): Promise<unknown>;
  release(): Promise<void>;
}
export interface Flavour {
  InferenceSession: { create(model: Uint8Array, options: object): Promise<Session> };
  Tensor: Float32TensorCtor<unknown>;
}

export async function ortFlavour(device: 'cpu' | 'wasm'): Promise<{ ort: Flavour; sessionOptions: object }> {
  if (device === 'wasm') {
    const web = await import('onnxruntime-web');
    web.env.wasm.numThreads = 1;
    return { ort: web as unknown as Flavour, sessionOptions: { executionProviders: ['wasm'], executionMode: 'sequential', graphOptimizationLevel: 'all' } };
  }
  return { ort: (await import('onnxruntime-node')) as unknown as Flavour, sessionOptions: ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: 'all' }) };
}

/** onnxruntime-node's optimized model of `bytes` (level all, NCHWc), as it writes it. */
export async function ortCpuOptimized(bytes: Uint8Array): Promise<Uint8Array> {
  const ort = await import('onnxruntime-node');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-opt-'));
  try {
    const out = path.join(dir, 'opt.onnx');
    const s = await ort.InferenceSession.create(bytes, { ...ortCpuSessionOptions({ threads: 1, graphOptimizationLevel: 'all' }), optimizedModelFilePath: out, logSeverityLevel: 3 });
    await s.release();
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
