/**
 * Where pinned round workers and their parent run, read back from the kernel (/proc/<pid>/task/<tid>/status,
 * Cpus_allowed_list: what sched_getaffinity returns), not from what the code asked for. Linux with taskset
 * only; the test says so and skips elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { affinitySupport, allowedCpus } from '../../devices/affinity.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const child = path.join(here, 'fixtures', 'placement-child.ts');
const threadChild = path.join(here, 'fixtures', 'thread-pin-child.ts');
const cpus = allowedCpus() ?? [];
const why = affinitySupport() !== true ? affinitySupport() : cpus.length < 2 ? `needs 2 allowed CPUs, this process has ${cpus.length}` : undefined;

function run(spec: string, onlyCpu?: number, script = child) {
  const node = [process.execPath, '--import', tsx, script, spec];
  const r = onlyCpu === undefined ? spawnSync(node[0], node.slice(1), { encoding: 'utf8', timeout: 180_000 }) : spawnSync('taskset', ['-c', String(onlyCpu), ...node], { encoding: 'utf8', timeout: 180_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe.skipIf(why)(`pinned round workers and their parent${why ? ` (skipped: ${why})` : ''}`, () => {
  it('workers run on the chosen CPU, every thread of the parent on the others; the LUT records it', () => {
    const measuring = cpus.at(-1)!;
    const rest = cpus.filter((c) => c !== measuring).join(',');
    const r = run(String(measuring));
    expect(new Set(r.worker)).toEqual(new Set([String(measuring)]));
    expect(new Set(r.parent)).toEqual(new Set([rest]));
    expect(r.placement).toEqual({ measuring: [measuring], parent: rest.split(',').map(Number) });
    expect(r.roundCpu).toBe(measuring);
    expect(r.warnings).toEqual([]);
    expect(r.lutPlacement).toEqual({ measuring: [measuring], parent: rest.split(',').map(Number) });
    expect(r.entriesCpus).toEqual([measuring]);
    expect(r.netRounds).toBe(1);
  }, 240_000);

  it('with one CPU allowed, parent and workers share it and a warning says so', () => {
    const only = cpus[0];
    const r = run('auto', only);
    expect(new Set([...r.worker, ...r.parent])).toEqual(new Set([String(only)]));
    expect(r.placement).toMatchObject({ measuring: [only], parent: [only], shared: expect.stringMatching(/one CPU only/) });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/may run on one CPU only \(\d+\): the parent shares it/);
    expect(r.lutPlacement.shared).toMatch(/one CPU only/);
  }, 240_000);
});

describe.skipIf(why)(`in-process pinning: the measuring thread alone${why ? ` (skipped: ${why})` : ''}`, () => {
  it('the main thread runs on the chosen CPU, every other thread of the process on the others', () => {
    const measuring = cpus.at(-1)!;
    const rest = cpus.filter((c) => c !== measuring);
    const r = run(String(measuring), undefined, threadChild);
    expect(r.main).toBe(String(measuring));
    expect(r.others.length).toBeGreaterThan(0);
    expect(new Set(r.others)).toEqual(new Set([rest.join(',')]));
    expect(r.placement).toEqual({ measuring: [measuring], helpers: rest });
    expect(r.roundCpu).toBe(measuring);
  }, 120_000);

  it('with one CPU allowed, every thread stays on it and the placement says they share it', () => {
    const only = cpus[0];
    const r = run('auto', only, threadChild);
    expect(new Set([r.main, ...r.others])).toEqual(new Set([String(only)]));
    expect(r.placement).toMatchObject({ measuring: [only], shared: expect.stringMatching(/one CPU only/) });
  }, 120_000);
});
