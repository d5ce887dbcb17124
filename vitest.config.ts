import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Timing tests share 2 cores: run files one at a time so measurements do not disturb each other.
    fileParallelism: false,
    reporters: ['default'],
  },
});
