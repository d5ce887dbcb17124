import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that run one at a time (the 'serial' project): they time something on a real device, launch a
 * browser device, spawn the CLI and signal it at a chosen point on a real device, or assert how long
 * something took. Running two of them at once would put one's load into the other's measurement or timing.
 * Every other file (the 'unit' project: pure computation on synthetic data, the mock device, temporary
 * folders of its own; and the 'signals' and 'services' projects below) runs two at a time, before the serial
 * ones: on 2 otherwise idle cores that roughly halves their share of the run; on a machine shared with other
 * sessions it gains less (7-13% measured on 10 such files).
 */
const SERIAL: RegExp[] = [
  /\.e2e\.test\.ts$/,
  /^test\/(cli|devices|reliability|farm)\//,
  /^test\/onnx\//, // times kernels on ort-cpu
  /^test\/profile\//, // profiles and kills a profiling child at a count of entries
  /^test\/report\//, // opens reports in Chromium
  /^test\/evaluators\/command\.test\.ts$/, // asserts that a timed-out command is killed within seconds
];
/**
 * End-to-end files that nonetheless run in the 'unit' project: the CLI on the mock device (synthetic timings)
 * or on no device at all, with no signals, browser, Redis or time assertion.
 */
const PARALLEL_E2E = [
  'cost-metrics', 'darts', 'darts-search', 'drop-path', 'evaluate', 'nasnet', 'profile-context', 'profile-rounds', 'scale', 'seed-spaces', 'seed-spaces-search', 'spine', 'train-general',
].map((name) => `test/cli/${name}.e2e.test.ts`);

/**
 * Files that stop the CLI with a signal at a chosen point (kill and resume) on the mock device or none at all:
 * no device timing, browser, Redis or time assertion. Each mostly waits on its child process (one core, or a
 * shell that sleeps), so they run two at a time in the 'signals' project, beside each other only, never beside
 * a unit file or a serial one. Where a signal lands is polled for (a count of evaluations, a line on stderr,
 * a checkpoint written before that line), so load moves when it lands, not whether the test holds. Run paired
 * at load 26-60 here (20:52-21:16 UTC): search-kill, nir-kill, scale-kill and training-search-kill passed;
 * train's and darts-kill's kill tests ran past their time limits (CI runs them in 7 s and 25 s).
 */
const SIGNALS = [
  // Not interrupt.e2e: while its search runs, a second writer runs in this process and must be refused before the
  // search's last ~1 s of evaluations end (it lost that race twice at load 50-60 here, paired): it stays serial.
  'test/cli/train.e2e.test.ts',
  'test/reliability/darts-kill.e2e.test.ts',
  'test/reliability/nir-kill.e2e.test.ts',
  'test/reliability/scale-kill.e2e.test.ts',
  'test/reliability/search-kill.e2e.test.ts',
  'test/reliability/training-search-kill.e2e.test.ts',
];

/**
 * Files in the serial folders above that time nothing on a real device and start no browser or Redis:
 * parsers, statistics, the mock device (also in a fresh round worker), a recorded profile, the page server
 * without a browser, tfjs programs computed on the cpu backend. They run in the 'unit' project: one at a time
 * each cost mostly its worker's start and imports (CI run 8: these 14 files took 3.2 s of tests together).
 */
const PARALLEL_UNITS = [
  ...['affinity', 'browser-server', 'harness', 'mock', 'noise', 'registry', 'remote-queue', 'round-timer', 'rounds', 'seed-blocks-tfjs', 'stats', 'tfjs-program', 'webgpu-gpu-time'].map((name) => `test/devices/${name}.test.ts`),
  'test/farm/connection.test.ts', // URL parsing; the commands refuse a bad --redis before connecting
  'test/cli/bad-input.test.ts', // in-process refusals, the mock device; '--device cpu' only where it is refused before timing
];

/**
 * Files that run the CLI (or the farm in process) on the mock device or on none, around a service of their own:
 * a Redis on a free loopback port (farm), a command evaluator that logs and sleeps, headless Chromium opening a
 * finished HTML report (a static page, no device). No device timing and no time assertion. Each mostly waits on
 * its children, so they run two at a time in the 'services' project, beside each other and the 'signals' files
 * (the same group), never beside a serial one. Run so at load 27-35 here (00:18-00:28 UTC), with farm.e2e, they
 * passed but for verify.e2e's refusals (past their 60 s timeout, now 120 s) and farm.e2e's killed-coordinator
 * test, which counted one overhead measurement where it expects two: farm.e2e stays serial.
 */
const SERVICES = [
  'test/cli/designspace.e2e.test.ts',
  'test/cli/verify.e2e.test.ts',
  'test/farm/evaluation.test.ts',
  'test/farm/search.e2e.test.ts',
  'test/farm/tls.e2e.test.ts',
];

/**
 * Device files that time something on a real device but assert only the structure of what they measure (stats
 * in order, a reason for every refusal, outputs against the CPU EP's within a tolerance), never a figure or a
 * comparison of two: headless Chromium's devices, the device contract, a DAG on every device. Alone, each
 * keeps about half a core busy (user+sys over CI run 8's wall: the contract 48.5 s of 83 s, browser-devices
 * 21.3 s of 28.7 s; the rest waits on browser launches, pages and shader compiles; but that user+sys leaves out
 * Chromium's own processes, which playwright starts in a session of their own: read from /proc, browser-devices'
 * Chromium took ≥12.7 s more, docs/benchmarks.md, so they are busier than that), so they run two at a time
 * in the 'devices' project, beside each other only, after the unit, signals and services files and before the
 * serial ones. With them the CLI files that time onnxruntime's CPU EP on one thread (--threads 1: one core
 * each) and assert only what was measured, never how fast. What they print (the contract's network and op
 * medians) is then the figure under the other file's load; figures belong in bench/. remote.test.ts stays
 * serial: it catches a run mid-way by time.
 */
const DEVICES = [
  'test/cli/dag.e2e.test.ts',
  'test/cli/demo.e2e.test.ts',
  'test/cli/spine-cpu.e2e.test.ts',
  // The in-file fit end to end on wasm: what the LUT and predict say, never a figure (16.1 s of a serial run here).
  'test/cli/onnx-in-file.e2e.test.ts',
  'test/reliability/profile-verify-kill.e2e.test.ts',
  'test/cli/verify-webgpu.e2e.test.ts',
  'test/devices/browser-devices.test.ts',
  'test/devices/browser-faults.test.ts',
  // ONNX conformance cases on ort-cpu, wasm, webgpu-native and the browser devices: outputs against the reference
  // within a tolerance, nothing timed (CI run 12: 48.6 s, the serial project's longest file).
  'test/devices/conformance.test.ts',
  'test/devices/contract.test.ts',
  // Each device's input/output mode recorded and its outputs checked; the timing asserted is only a median > 0 and
  // the sample count.
  'test/devices/io-modes.test.ts',
  'test/devices/seed-blocks-devices.test.ts',
];

/**
 * 'unit' files that share their workers (vitest's `isolate: false`: a worker runs one file after another and keeps
 * the modules it imported): pure computation on synthetic data or files of their own (parsers, shapes, exports,
 * spaces, statistics, LUT files), none of which sets a tfjs backend, mocks a module without restoring it, runs the
 * CLI in process (process.exitCode, stdout spies) or adds to a registry at run time (core/new-block does); a new file
 * of these folders that does goes in OWN_WORKER. In a worker of its own each paid for the worker's start and its
 * imports again: 69 of them took 29-31 s less CPU shared (96.7 → 67.8 s and 99.0 → 67.9 s user+sys, two runs at load
 * 9-17, docs/benchmarks.md), ~15 s of the run on 2 cores.
 */
const SHARED_WORKER_PREFIXES = [
  ...['bench', 'config', 'core', 'data', 'designspace', 'export', 'fuzz', 'latency', 'lut', 'predict', 'scale', 'spaces', 'verify'].map((folder) => `test/${folder}/`),
  'test/evaluators/score-set.test.ts',
  ...['constraints', 'front-file', 'job', 'pareto', 'resume', 'strategies'].map((name) => `test/search/${name}.test.ts`),
];
/**
 * Files of other folders that share workers too: of the serial folders, those that time nothing (toProtocol's flags,
 * ONNX files read and counted); of PARALLEL_UNITS, statistics, noise, the harness and the mock device on synthetic
 * timings; the table evaluator and the MnasNet reward (arithmetic).
 */
const SHARED_UNITS = [
  'test/cli/protocol-flags.test.ts',
  'test/onnx/primitives.test.ts',
  'test/onnx/read.test.ts',
  'test/profile/entry-model.test.ts', // the mock device's models (no timing on a real device)
  ...['affinity', 'harness', 'mock', 'noise', 'round-timer', 'stats'].map((name) => `test/devices/${name}.test.ts`),
  'test/evaluators/table.test.ts',
  'test/search/mnasnet/reward.test.ts',
];
/** Files of those folders that keep a worker of their own. */
const OWN_WORKER = [
  'test/core/new-block.test.ts', // adds a block kind's table line at run time
  'test/export/pool-ceil.test.ts', // tfjs
  'test/lut/import.test.ts', // the CLI in process
  'test/predict/before-dag.test.ts', // the CLI in process
  'test/spaces/mbv2-small.test.ts', // trains (tfjs)
];

/**
 * Files that run long for their size, started first in their project (longest first). A fresh clone (CI) has no
 * durations cached, so vitest orders a project's files by size, larger first, and a long small file can start last
 * and run alone while the group's other worker idles: in the 'devices' group verify-webgpu.e2e (78 s at load 9-16
 * here, its smallest file) ran alone for its last 82 s of 413 (docs/benchmarks.md). Seconds: CI where known (the
 * contract 162, conformance 90, seed-blocks-devices 85, browser-faults 57, seed-spaces-search 90, darts 56,
 * differentiable-search 55), else paired here at load 9-19.
 */
const LONG_FIRST = [
  'test/devices/contract.test.ts',
  'test/devices/conformance.test.ts',
  'test/devices/seed-blocks-devices.test.ts',
  'test/cli/verify-webgpu.e2e.test.ts',
  'test/devices/browser-faults.test.ts',
  'test/devices/browser-devices.test.ts',
  'test/cli/seed-spaces-search.e2e.test.ts',
  'test/search/darts.test.ts',
  'test/search/differentiable-search.test.ts',
  'test/reliability/search-kill.e2e.test.ts', // 42.5 s, training-search-kill 29.0 s, train.e2e 25.7 s paired at load 11-13 here
  'test/reliability/training-search-kill.e2e.test.ts',
  'test/cli/train.e2e.test.ts',
];

/** vitest's order (group, then project, then cached duration or size), with LONG_FIRST's files moved to the front of their project. */
class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (s: TestSpecification) => {
      const i = LONG_FIRST.indexOf(path.relative(ROOT, s.moduleId).split(path.sep).join('/'));
      return i < 0 ? LONG_FIRST.length : i;
    };
    const at = new Map(sorted.map((s, i) => [s, i]));
    return [...sorted].sort(
      (a, b) =>
        a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder ||
        (a.project.name < b.project.name ? -1 : a.project.name > b.project.name ? 1 : 0) ||
        rank(a) - rank(b) ||
        at.get(a)! - at.get(b)!,
    );
  }
}

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const TEST_DIR = path.join(ROOT, 'test');
const TEST_FILES = (readdirSync(TEST_DIR, { recursive: true }) as string[]).map((f) => `test/${f.split(path.sep).join('/')}`).filter((f) => f.endsWith('.test.ts'));
const notSerial = [...PARALLEL_E2E, ...PARALLEL_UNITS, ...SHARED_UNITS, ...SIGNALS, ...SERVICES, ...DEVICES];
const serial = TEST_FILES.filter((f) => SERIAL.some((re) => re.test(f)) && !notSerial.includes(f));
const shared = TEST_FILES.filter(
  (f) => SHARED_UNITS.includes(f) || (SHARED_WORKER_PREFIXES.some((p) => f.startsWith(p)) && !OWN_WORKER.includes(f) && !serial.includes(f) && !notSerial.includes(f)),
);

export default defineConfig({
  test: {
    // A folder per run for fixtures several files share (test/global-setup.ts, sharedMockLut in test/cli/helpers.ts).
    globalSetup: ['test/global-setup.ts'],
    sequence: { sequencer: LongFirstSequencer },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...shared, ...serial, ...SIGNALS, ...SERVICES, ...DEVICES],
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          // Sorted after 'unit' in the same group (vitest orders a group's projects by name): its small files fill
          // the group's tail, two shared workers for all of them.
          name: 'unit-shared',
          include: shared,
          isolate: false,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'signals',
          include: SIGNALS,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'services',
          include: SERVICES,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 }, // with 'signals': one group of two workers
        },
      },
      {
        extends: true,
        test: {
          name: 'devices',
          include: DEVICES,
          fileParallelism: true,
          maxWorkers: 2,
          // Two at a time, a browser launch or a shader compile waits on the other file too. Run so at load 32-40
          // here (00:30-00:46 UTC) every test passed but three that ran past 60 s (2-6 s in CI run 8).
          testTimeout: 180_000,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: serial,
          // Timing tests share 2 cores: run these files one at a time so measurements do not disturb each other.
          fileParallelism: false,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
