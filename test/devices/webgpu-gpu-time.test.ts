/**
 * GPU time per run from onnxruntime's WebGPU profile (devices/ort-webgpu-native/gpu-time.ts), on a profile
 * file recorded here (onnxruntime-node 1.30, Dawn on SwiftShader Vulkan, one mbconv at 64 px, 3 runs with
 * enableProfiling; Node events trimmed to op_name and provider).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gpuTimePerRun, parseGpuProfile } from '../../devices/ort-webgpu-native/gpu-time.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'webgpu-native-profile.json');
const text = readFileSync(FIXTURE, 'utf8');
type Event = { cat: string; name: string; ts: number; dur: number };
const events = JSON.parse(text) as Event[];
const withEvents = (f: (e: Event[]) => Event[]) => parseGpuProfile(JSON.stringify(f(structuredClone(events))));

describe('GPU time from an onnxruntime WebGPU profile', () => {
  it('reads the kernels of every run in order and sums each run', () => {
    const profile = parseGpuProfile(text);
    expect(profile.runs).toBe(3);
    expect(profile.kernels.map((k) => k.name.split('&')[2]).slice(0, 4)).toEqual(['Transpose', 'GroupedConv', 'MatMul', 'Transpose']);
    const perRun = gpuTimePerRun(profile, 3);
    // µs in the file, ms out: run 2 = 193039 + 30294 + 110493 + 77332 µs.
    expect(perRun[1]).toBeCloseTo(411.158, 6);
    // A warm run's kernels account for its wall time (model_run) within a few %, the cold run's do not (compilation).
    const walls = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').map((e) => e.dur / 1000);
    for (const r of [1, 2]) expect(Math.abs(perRun[r] / walls[r] - 1)).toBeLessThan(0.03);
    expect(perRun[0] / walls[0]).toBeLessThan(0.5);
  });

  it('refuses to guess when runs and kernels do not match', () => {
    expect(() => gpuTimePerRun(parseGpuProfile(text), 4)).toThrow(/holds 3 runs, expected 4/);
    const dropped = withEvents((e) => e.filter((x, i) => !(x.cat === 'Api' && i === e.findIndex((y) => y.cat === 'Api'))));
    expect(() => gpuTimePerRun(dropped, 3)).toThrow(/11 GPU kernel times for 3 runs: not the same programs in every run/);
    const renamed = withEvents((e) => {
      e.filter((x) => x.cat === 'Api')[5].name = 'other&Conv&Conv';
      return e;
    });
    expect(() => gpuTimePerRun(renamed, 3)).toThrow(/run 2 of the onnxruntime profile dispatched other GPU programs/);
  });

  it('no kernel at all: an adapter without timestamps, or (when told) a model without GPU programs', () => {
    const none = withEvents((e) => e.filter((x) => x.cat !== 'Api'));
    expect(() => gpuTimePerRun(none, 3)).toThrow(/no GPU kernel times for 3 runs \(does the adapter lack the timestamp-query feature\?\)/);
    expect(gpuTimePerRun(none, 3, { noKernelsIsZero: true })).toEqual([0, 0, 0]);
  });

  it('says what is wrong with a file that is not a profile', () => {
    expect(() => parseGpuProfile('{"cat"')).toThrow(/not JSON/);
    expect(() => parseGpuProfile('{}')).toThrow(/not a list of events/);
  });
});
