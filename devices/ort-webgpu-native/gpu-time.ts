/**
 * GPU time per run from onnxruntime's own WebGPU profiler.
 *
 * With the session option `enableProfiling`, onnxruntime-node's WebGPU EP writes a timestamp query at
 * the start and end of every compute pass when the Dawn device has the 'timestamp-query' feature, and
 * session.endProfiling() writes them into the session's profile file (Chrome trace format) as events of
 * category "Api", one per GPU program, named "<node>&<op>&<program>", `dur` in µs, in run order. Without
 * the feature the file holds no such events. The profile covers the whole session and can be taken only
 * once (profiling starts when the session is created and stops at endProfiling), so a batch of runs is
 * one profiling session; its runs are told apart by counting: every run of one model dispatches the
 * same programs.
 *
 * Measured here (onnxruntime-node 1.30, Dawn on SwiftShader Vulkan, an mbconv at 64 px): 4 "Api" events
 * per run, 3 "model_run" session events, the kernel times of a warm run summing to within 3% of its
 * model_run wall time (a recorded file: test/devices/fixtures/webgpu-native-profile.json).
 */

/** One event of an onnxruntime profile file, as far as it is read here. */
interface ProfileEvent {
  cat?: unknown;
  name?: unknown;
  ts?: unknown;
  dur?: unknown;
}

/** The parts of a profile that say how long the GPU worked. */
export interface GpuProfile {
  /** session.run calls the profile saw ("model_run" events). */
  runs: number;
  /** GPU program executions, in the order they ran: name and duration in ms. */
  kernels: { name: string; ms: number }[];
}

/** Reads the GPU kernel events and the run count from the text of a profile file. */
export function parseGpuProfile(text: string): GpuProfile {
  let events: unknown;
  try {
    events = JSON.parse(text);
  } catch (e) {
    throw new Error(`the onnxruntime profile is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(events)) throw new Error('the onnxruntime profile is not a list of events');
  const list = events as ProfileEvent[];
  const kernels = list
    .filter((e) => e && e.cat === 'Api' && typeof e.dur === 'number' && typeof e.ts === 'number' && typeof e.name === 'string')
    .sort((a, b) => (a.ts as number) - (b.ts as number))
    .map((e) => ({ name: e.name as string, ms: (e.dur as number) / 1000 }));
  const runs = list.filter((e) => e && e.cat === 'Session' && e.name === 'model_run').length;
  return { runs, kernels };
}

/**
 * The GPU time of each of the profile's runs (ms): its kernels summed. Throws when the kernels cannot be
 * shared out evenly between the runs (a run that dispatched other programs than the others would be
 * misattributed). No kernel at all is an error unless `noKernelsIsZero` (a model that dispatches no GPU
 * program, e.g. an Identity the EP turns into a buffer copy, once the adapter is known to give timestamps).
 */
export function gpuTimePerRun(profile: GpuProfile, runs: number, { noKernelsIsZero = false } = {}): number[] {
  if (profile.runs !== runs) throw new Error(`the onnxruntime profile holds ${profile.runs} runs, expected ${runs}`);
  const n = profile.kernels.length;
  if (n === 0 && noKernelsIsZero) return new Array<number>(runs).fill(0);
  if (n === 0) throw new Error(`the onnxruntime profile holds no GPU kernel times for ${runs} runs (does the adapter lack the timestamp-query feature?)`);
  if (n % runs !== 0) throw new Error(`the onnxruntime profile holds ${n} GPU kernel times for ${runs} runs: not the same programs in every run`);
  const perRun = n / runs;
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const kernels = profile.kernels.slice(r * perRun, (r + 1) * perRun);
    const names = kernels.map((k) => k.name).join('|');
    const first = profile.kernels.slice(0, perRun).map((k) => k.name).join('|');
    if (names !== first) throw new Error(`run ${r + 1} of the onnxruntime profile dispatched other GPU programs than run 1 (${names} vs ${first})`);
    out.push(kernels.reduce((s, k) => s + k.ms, 0));
  }
  return out;
}
