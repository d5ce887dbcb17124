import { defineConfig } from 'vitest/config';

/**
 * Files that run one at a time (the 'serial' project): they time something on a real device, launch a
 * browser, start Redis or listen on ports, spawn the CLI and signal it at a chosen point, or assert how long
 * something took. Running two of them at once would put one's load into the other's measurement or timing.
 * Every other file (the 'unit' project: pure computation on synthetic data, the mock device, temporary folders
 * of its own) runs two at a time, which on 2 cores roughly halves their share of the run.
 */
const SERIAL = [
  'test/**/*.e2e.test.ts',
  'test/cli/**/*.test.ts',
  'test/devices/**/*.test.ts',
  'test/reliability/**/*.test.ts',
  'test/farm/**/*.test.ts',
  'test/onnx/**/*.test.ts', // times kernels on ort-cpu
  'test/profile/**/*.test.ts', // profiles and kills a profiling child at a count of entries
  'test/report/**/*.test.ts', // opens reports in Chromium
  'test/evaluators/command.test.ts', // asserts that a timed-out command is killed within seconds
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: SERIAL,
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: SERIAL,
          // Timing tests share 2 cores: run these files one at a time so measurements do not disturb each other.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
