/**
 * Once per run: a folder for fixtures that several test files build with the same arguments
 * (test/fixtures/shared-lut.ts), removed after the run. Files of every project get its path with
 * inject('sharedFixtures'): the root project provides it, and each project's context extends the root's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { scratchRoot } from './fixtures/scratch.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sharedFixtures: string;
  }
}

export default function setup(project: TestProject): () => void {
  // Every project inherits this file (extends: true); only the root one makes the folder, set up like the others before any file runs.
  if (project !== project.vitest.getRootProject()) return () => undefined;
  const dir = mkdtempSync(path.join(scratchRoot(), 'hwnas-shared-fixtures-'));
  project.provide('sharedFixtures', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
