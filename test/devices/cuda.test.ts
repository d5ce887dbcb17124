import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CUDA_PROVIDER_LIBS, cudaProblem } from '../../devices/cuda/binaries.js';
import { CudaDevice, cudaFactory, parseCudaOptions } from '../../devices/cuda/index.js';
import { resolveDevice } from '../../devices/registry.js';
import { DeviceUnavailableError } from '../../src/core/errors.js';

const available = await cudaFactory.available();
const dir = mkdtempSync(path.join(tmpdir(), 'cuda-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cuda device', () => {
  it('names the missing provider libraries and how to get them', () => {
    const why = cudaProblem(dir, 'linux/x64', '/dev/null');
    expect(why).toContain(`(${CUDA_PROVIDER_LIBS.join(', ')} in ${dir})`);
    expect(why).toContain('its install step downloads them unless skipped');
    expect(why).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node');
    expect(why).toContain('CUDA 12');
  });

  it('then checks for the NVIDIA driver, and is satisfied when everything is there', () => {
    for (const lib of CUDA_PROVIDER_LIBS) writeFileSync(path.join(dir, lib), '');
    expect(cudaProblem(dir, 'linux/x64', path.join(dir, 'no-nvidiactl'))).toMatch(/^no NVIDIA driver is loaded \(.*no-nvidiactl does not exist\)/);
    expect(cudaProblem(dir, 'linux/x64', path.join(dir, CUDA_PROVIDER_LIBS[0]))).toBeUndefined();
    expect(cudaProblem(dir, 'darwin/arm64')).toBe('onnxruntime-node provides its CUDA EP for linux/x64 only; this is darwin/arm64');
  });

  it('parses its options', () => {
    expect(parseCudaOptions({})).toEqual({ deviceId: 0, graphOptimizationLevel: 'all', outputs: 'sliced' });
    expect(parseCudaOptions({ outputs: 'full' }).outputs).toBe('full');
    expect(() => parseCudaOptions({ deviceId: 'gpu0' })).toThrow(/deviceId/);
  });

  it.skipIf(available === true)('is unavailable here with one clear DeviceUnavailableError', async () => {
    expect(available).toMatch(/libonnxruntime_providers_shared\.so|NVIDIA driver|linux\/x64 only/);
    const resolved = await resolveDevice('cuda').catch((e: unknown) => e);
    expect(resolved).toBeInstanceOf(DeviceUnavailableError);
    expect((resolved as Error).message).toBe(`device 'cuda' is not available here: ${available}`);
    const direct = await new CudaDevice().init().catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(DeviceUnavailableError);
    expect((direct as Error).message).toContain(available as string);
  });
});
