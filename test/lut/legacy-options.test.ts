import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceInfo } from '../../devices/types.js';
import { UserError } from '../../src/core/errors.js';
import { createLut, LutStore, readLut, serializeLut } from '../../lut/store.js';
import { device as mockDevice, entry, KEYS, protocol, stats } from './fixtures.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lut-legacy-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** ort-cpu's DeviceInfo as LUTs recorded it before the `outputs` option existed. */
const before: DeviceInfo = {
  device: 'ort-cpu',
  runtime: 'onnxruntime-node',
  runtimeVersion: '1.30.0',
  ep: 'cpu',
  options: { threads: 1, interOpThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' },
  host: { cpu: 'Test CPU', cores: 2, os: 'linux', node: 'v20.0.0' },
  timing: 'wall clock (performance.now) per session.run, inputs created once',
};
const now = (outputs: string): DeviceInfo => ({ ...before, options: { ...before.options, outputs } });

function lutFile(info: DeviceInfo): string {
  const lut = createLut(info, protocol, stats(0.015));
  lut.entries[KEYS.conv] = entry(0.4);
  const file = path.join(dir, `${info.options.outputs ?? 'old'}.lut.json`);
  writeFileSync(file, serializeLut(lut));
  return file;
}

describe('options a LUT was measured before they were recorded', () => {
  it('an ort-cpu LUT without `outputs` reads as measured with every output copied out every run; newer LUTs keep theirs', () => {
    expect(readLut(lutFile(before)).device.options.outputs).toBe('full');
    expect(readLut(lutFile(now('sliced'))).device.options.outputs).toBe('sliced');
    // Devices that declare nothing are read as written.
    expect(readLut(lutFile(mockDevice)).device.options).toEqual(mockDevice.options);
  });

  it('an old LUT resumes with outputs=full, refuses sliced outputs, and its hint gives the flag', () => {
    const file = lutFile(before);
    expect(LutStore.open(file, now('full'), protocol).has(KEYS.conv)).toBe(true);
    let err: unknown;
    try {
      LutStore.open(file, now('sliced'), protocol);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain('options.outputs: LUT "full", now "sliced"');
    expect((err as UserError).hint).toContain('--device-opt outputs=full');
  });

  it('LUTs of the onnxruntime-web devices read as full outputs, webgpu-native ones as inputs uploaded every run', () => {
    const old = (name: string, options: DeviceInfo['options']) => readLut(lutFile({ ...before, device: name, options })).device.options;
    for (const name of ['browser-wasm', 'webgpu', 'remote']) {
      expect(old(name, { bundle: 'ort.wasm.bundle.min.mjs', threads: 1 }).outputs).toBe('full');
      expect(old(name, { bundle: 'ort.wasm.bundle.min.mjs', threads: 1, outputs: 'sliced' }).outputs).toBe('sliced');
    }
    expect(old('webgpu-native', { outputs: 'gpu-buffer', timing: 'gpu' })).toEqual({ outputs: 'gpu-buffer', timing: 'gpu', inputs: 'cpu' });
    expect(old('webgpu-native', { outputs: 'gpu-buffer', inputs: 'gpu-buffer' }).inputs).toBe('gpu-buffer');
  });
});
