/**
 * `nas search --redis` end to end: real `nas worker` processes evaluate with a command evaluator
 * (a shell script: deterministic accuracy from the architecture file's checksum, a short sleep, one
 * line per call in a log), and asynchronous evolution / NSGA-II coordinators write fronts that must
 * not depend on the number of workers, survive a killed coordinator without evaluating anything twice,
 * and, with one pending candidate, equal the sequential search run locally.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectUserError, nasInProcess } from '../cli/helpers.js';
import { count, nas, ready, stopAll, until, type Proc } from './procs.js';
import { redisMissing, TestRedis } from './redis.js';

describe.skipIf(redisMissing)('search on the farm, end to end' + (redisMissing ? ` — skipped: ${redisMissing}` : ''), () => {
  let redis: TestRedis;
  let dir: string;
  let calls: string;
  let evaluatorFlags: string[];
  const workers: Proc[] = [];
  const addWorkers = async (n: number) => {
    const started = Array.from({ length: n }, () => nas(['worker', '--redis', redis.url, '--device', 'mock', '--lock-ms', '15000', ...evaluatorFlags]));
    workers.push(...started);
    await ready(started);
  };
  const callCount = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean).length : 0);
  const search = (strategy: string, out: string, extra: string[] = []) => [
    'search', '--space', 'nb201', '--latency-table', 'pixel3', ...evaluatorFlags, '--strategy', strategy, '--budget', '16', '--seed', '3', '--out', path.join(dir, out), ...extra,
  ];
  const farmSearch = (strategy: string, out: string, extra: string[] = []) => search(strategy, out, ['--redis', redis.url, '--pending', extra.includes('--pending') ? extra[extra.indexOf('--pending') + 1] : '4', ...extra.filter((x, i) => x !== '--pending' && extra[i - 1] !== '--pending')]);
  /** A front file without its creation time. */
  const front = (out: string) => {
    const { created: _created, ...rest } = JSON.parse(readFileSync(path.join(dir, out), 'utf8')) as Record<string, unknown>;
    return rest;
  };

  beforeAll(async () => {
    redis = await TestRedis.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'nas-farm-search-'));
    calls = path.join(dir, 'calls.log');
    const script = path.join(dir, 'eval.sh');
    // Each evaluation holds its worker for 0.25 s (workers run one job at a time), so with 4 pending
    // candidates the second worker gets some even when the machine is loaded (at 0.05 s one worker took
    // every evaluation once, under load 16).
    writeFileSync(script, `echo "$1" >> '${calls}'\nsleep 0.25\ncksum < "$1" | awk '{ print ($1 % 10000) / 100 }'\n`);
    evaluatorFlags = ['--evaluator', 'command', '--eval-command', `sh ${script}`];
    await addWorkers(2);
  }, 120_000);
  afterAll(async () => {
    await stopAll(workers);
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('evolution and nsga2 with 2 and then 3 workers write the same front for a seed', async () => {
    for (const strategy of ['evolution', 'nsga2']) {
      const r = await nasInProcess(...farmSearch(strategy, `${strategy}-2.json`));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`${strategy} \\(asynchronous, 4 pending\\) on nb201: 16 evaluated`));
      // The first search runs the command once per candidate. The later ones share candidates with it (the same
      // seed draws the same first ones): a worker answers a candidate it evaluated itself from memory ("reused"),
      // but which worker a repeated candidate reaches is chance; what must hold for every worker is checked below.
      if (strategy === 'evolution') expect(callCount()).toBe(16);
    }
    // Both workers took evaluations.
    for (const w of workers) expect(count(w.out(), /^done evaluate /gm)).toBeGreaterThan(0);
    await addWorkers(1);
    for (const strategy of ['evolution', 'nsga2']) {
      const r = await nasInProcess(...farmSearch(strategy, `${strategy}-3.json`));
      expect(r.code, r.stderr).toBe(0);
      const two = front(`${strategy}-2.json`);
      expect(front(`${strategy}-3.json`)).toEqual(two);
      expect(two.strategy).toBe(`${strategy} (asynchronous, 4 pending)`);
      expect(two.evaluations).toBe(16);
      expect((two.members as unknown[]).length).toBeGreaterThan(0);
    }
    // Over the four searches (16 evaluations each, their jobs removed once each front is written): every job was
    // taken by one worker once; no worker ran the command twice for one architecture (its memory answers a repeat,
    // and with 3 workers most of the last two searches' candidates reach a worker that evaluated them before);
    // a worker reuses only what it evaluated itself, earlier; each command run is one "done evaluate" line.
    const jobs = workers.map((w) => (w.out().match(/^(done|reused) evaluate \S+/gm) ?? []).map((l) => l.split(' ')));
    expect(jobs.flat()).toHaveLength(4 * 16);
    for (const lines of jobs) {
      const evaluated = lines.filter(([what]) => what === 'done').map(([, , name]) => name);
      expect(new Set(evaluated).size).toBe(evaluated.length);
      lines.forEach(([what, , name], i) => what === 'reused' && expect(lines.slice(0, i).some(([w, , n]) => w === 'done' && n === name)).toBe(true));
    }
    expect(jobs.flat().filter(([what]) => what === 'done')).toHaveLength(callCount());
  }, 300_000);

  it('a killed coordinator loses nothing: the rerun evaluates only what no worker had evaluated, and writes the same front', async () => {
    // Fresh workers: none remembers an earlier evaluation, so every command run is counted.
    await stopAll(workers.splice(0));
    await addWorkers(2);
    const before = callCount();
    const first = nas(farmSearch('evolution', 'killed.json'));
    await until('some evaluations', () => callCount() - before >= 6);
    first.child.kill('SIGKILL');
    await first.exited;
    const r = await nasInProcess(...farmSearch('evolution', 'killed.json'));
    expect(r.code, r.stderr).toBe(0);
    expect(front('killed.json')).toEqual(front('evolution-2.json'));
    // The 16 candidates were each evaluated once over both coordinators (the workers finished the killed one's jobs; the rerun collected them).
    const evaluated = readFileSync(calls, 'utf8').split('\n').filter(Boolean).slice(before);
    expect(evaluated).toHaveLength(16);
    expect(count(workers.map((w) => w.out()).join(''), /^reused evaluate /gm)).toBe(0);
  }, 300_000);

  it('with one pending candidate the farm search is the sequential search run locally', async () => {
    const local = await nasInProcess(...search('evolution', 'local.json'));
    expect(local.code, local.stderr).toBe(0);
    const farm = await nasInProcess(...farmSearch('evolution', 'one.json', ['--pending', '1']));
    expect(farm.code, farm.stderr).toBe(0);
    const { strategy: s1, ...a } = front('local.json');
    const { strategy: s2, ...b } = front('one.json');
    expect([s1, s2]).toEqual(['evolution', 'evolution (asynchronous, 1 pending)']);
    expect(b).toEqual(a);
  }, 300_000);

  it('says what is wrong: no worker with this evaluator (exit 3), a strategy or evaluator that does not run on the farm (exit 2)', async () => {
    const other = await nasInProcess(...search('nsga2', 'none.json', ['--redis', redis.url, '--farm-wait', '1', '--eval-timeout', '5']));
    expectUserError(other, /no worker evaluates with command .*workers evaluate with:/s, 3);
    expect(other.stderr).toMatch(/hint: start workers with the same evaluator flags as the search/);
    expectUserError(await nasInProcess(...farmSearch('mnasnet', 'x.json')), /--redis runs random, evolution, nsga2 asynchronously; --strategy mnasnet runs on one machine/);
    expectUserError(
      await nasInProcess('search', '--space', 'nb201', '--latency-table', 'pixel3', '--evaluator', 'table', '--redis', redis.url, '--out', path.join(dir, 'y.json')),
      /--evaluator table runs here/,
    );
  }, 120_000);
});
