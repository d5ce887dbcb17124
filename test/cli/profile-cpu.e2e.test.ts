/** nas profile --cpu: the measuring process (and its round workers) pinned, and the LUT saying so. Runs the CLI in a child process, since pinning is per process. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { affinitySupport, usableCpus } from '../../devices/affinity.js';
import { expectUserError, FAST_TIMING, runCli } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-cpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = ['profile', '--device', 'mock', '--space', 'nb201', '--resolution', '8', ...FAST_TIMING, '--calibrate', '0'];

describe('nas profile --cpu', () => {
  it.skipIf(affinitySupport() !== true)('pins every round (in fresh workers too) to the CPU asked for, and records it', () => {
    const cpu = usableCpus().at(-1)!;
    const out = path.join(dir, 'pinned.lut.json');
    const r = runCli([...base, '--rounds', '2', '--fresh-process', '--threads', '1', '--cpu', String(cpu), '--out', out], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const lut = JSON.parse(readFileSync(out, 'utf8'));
    expect(lut.protocol).toMatchObject({ rounds: 2, freshProcess: true, cpu: String(cpu) });
    const entries = Object.values(lut.entries) as { noise: { cpu?: number; probeMs?: number } }[];
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(e.noise.cpu).toBe(cpu);
      expect(e.noise.probeMs).toBeGreaterThan(0);
    }
    // The workers ran on the CPU asked for, the process that started them on the others.
    const others = usableCpus().filter((c) => c !== cpu);
    expect(lut.protocol.placement).toEqual(others.length ? { measuring: [cpu], parent: others } : { measuring: [cpu], parent: [cpu], shared: expect.any(String) });
    const show = runCli(['lut', 'show', out]);
    expect(show.stdout).toMatch(new RegExp(`pinned to CPU ${cpu} \\(last run: rounds on CPU ${cpu}`));
  });
  it.skipIf(affinitySupport() !== true)('auto pins to one CPU and records auto', () => {
    const out = path.join(dir, 'auto.lut.json');
    const r = runCli([...base, '--rounds', '1', '--cpu', 'auto', '--out', out], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const lut = JSON.parse(readFileSync(out, 'utf8'));
    expect(lut.protocol.cpu).toBe('auto');
    const cpus = new Set((Object.values(lut.entries) as { noise: { cpu?: number } }[]).map((e) => e.noise.cpu));
    expect(cpus.size).toBe(1);
    expect(usableCpus()).toContain([...cpus][0]);
    // In process: the measuring thread on that CPU, the process's other threads (V8's helpers) on the others.
    const measuring = [...cpus] as number[];
    const others = usableCpus().filter((c) => !measuring.includes(c));
    expect(lut.protocol.placement).toEqual(others.length ? { measuring, helpers: others } : { measuring, shared: expect.any(String) });
  });
  it('refuses a bad --cpu, and one CPU for several runtime threads', () => {
    expectUserError(runCli([...base, '--cpu', 'fastest', '--out', path.join(dir, 'x.lut.json')]), /--cpu takes 'auto' or a CPU list/);
    expectUserError(runCli([...base, '--cpu', '0', '--threads', '0', '--out', path.join(dir, 'x.lut.json')]), /--cpu 0 pins to 1 CPU, but --threads 0 asks the runtime for one thread per core/);
  });
});
