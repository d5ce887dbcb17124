/**
 * Whole networks and LUT entries timed as one list of measurables (devices/measurables.ts through
 * profile()'s `nets`): every pass holds every measurable, the order is shuffled anew each pass with nets
 * and entries mixed, and a resumed run keeps the rounds already taken (entries' and nets' alike).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TimingProtocol } from '../../devices/types.js';
import { networkModel } from '../../export/model.js';
import { readLut } from '../../lut/store.js';
import { lutInstances } from '../../src/core/decompose.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { profile, type ProfileNet } from '../../src/profile/profiler.js';
import { createSpace } from '../../src/spaces/registry.js';
import { instances, PROTOCOL, slowMock } from './fixtures/instances.js';

let dir: string;
beforeEach(() => void (dir = mkdtempSync(path.join(tmpdir(), 'interleave-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ROUNDS: TimingProtocol = { ...PROTOCOL, minRepeats: 3, maxTimeMs: 30, rounds: 3 };
const space = createSpace('mbv2', { resolution: 32 });
const rng = new Rng(5);
const archs = Array.from({ length: 3 }, () => space.build(space.sample(rng)));
const nets: ProfileNet[] = archs.map((arch, i) => ({ id: `n${i}`, instances: lutInstances(arch).map((p) => p.inst), build: () => networkModel(arch) }));
const netKeys = new Set(archs.map((a) => a.name));
const insts = instances(5);
// The LUT holds the nets' ops too (as nas profile's calibration does); only `insts` are left to measure after the first run.
const all = [...insts, ...archs.flatMap((a) => lutInstances(a).map((p) => p.inst))];
const distinct = new Set(all.map(opKey)).size;

/** The passes of a log of timed keys: the overhead's rounds left out, then consecutive runs of `n`. */
const passesOf = (timed: string[], overhead: string, n: number) => {
  const log = timed.filter((k) => k !== overhead);
  return Array.from({ length: Math.ceil(log.length / n) }, (_, i) => log.slice(i * n, (i + 1) * n));
};

describe('entries and whole nets in the same passes', () => {
  it('every measurable in every pass, shuffled anew each pass, nets among the entries', async () => {
    const { device, timed } = slowMock();
    const lutPath = path.join(dir, 'a.lut.json');
    const r = await profile({ device, instances: all, protocol: ROUNDS, lutPath, nets });
    const overhead = timed[0];
    const n = distinct + nets.length;
    const passes = passesOf(timed, overhead, n);
    expect(passes).toHaveLength(3);
    const everything = [...passes[0]].sort();
    for (const pass of passes) expect([...pass].sort()).toEqual(everything);
    expect(new Set(passes.map((p) => p.join()))).toHaveProperty('size', 3); // each pass its own order
    for (const pass of passes) {
      const at = pass.flatMap((k, i) => (netKeys.has(k) ? [i] : []));
      expect(at).toHaveLength(nets.length);
      // Mixed: some entry comes after the first net and before the last in at least one pass.
    }
    const mixed = passes.some((pass) => {
      const at = pass.flatMap((k, i) => (netKeys.has(k) ? [i] : []));
      return at.at(-1)! - at[0] + 1 > at.length;
    });
    expect(mixed).toBe(true);
    expect([...r.nets.keys()].sort()).toEqual(['n0', 'n1', 'n2']);
    for (const res of r.nets.values()) expect(res.rounds).toHaveLength(3);
    expect(Object.keys(readLut(lutPath).entries)).toHaveLength(distinct);
    // The nets' figures are the protocol's estimator over their rounds, as the entries' are.
    for (const res of r.nets.values()) expect(res.stats.median).toBe([...res.rounds].sort((a, b) => a - b)[1]);
  });

  it('a resumed run takes only the rounds still missing, nets included', async () => {
    const lutPath = path.join(dir, 'b.lut.json');
    const n = distinct + nets.length;
    const stop = new AbortController();
    const first = slowMock();
    const timeOnce = first.device.time;
    let calls = 0;
    // Stops in the second pass: the overhead alone (3 rounds), then the first pass (n measurables and the overhead) and 1 more.
    first.device.time = async (model, p) => {
      const out = await timeOnce(model, p);
      if (++calls === 3 + n + 2) stop.abort();
      return out;
    };
    const r1 = await profile({ device: first.device, instances: all, protocol: ROUNDS, lutPath, nets, signal: stop.signal });
    expect(r1.summary.interrupted).toBe(true);
    expect(r1.nets.size).toBe(0);
    const second = slowMock();
    const r2 = await profile({ device: second.device, instances: all, protocol: ROUNDS, lutPath, nets });
    expect(second.timed).toHaveLength(3 * (n + 1) - (n + 2)); // no overhead alone, no round taken twice (the overhead's rounds in the passes included)
    expect(r2.summary.interrupted).toBe(false);
    for (const res of r2.nets.values()) expect(res.rounds).toHaveLength(3);
    const netRounds = second.timed.filter((k) => netKeys.has(k)).length;
    const inRun1 = first.timed.slice(3).filter((k) => netKeys.has(k)).length;
    expect(netRounds + inRun1).toBe(3 * nets.length);
  });

  it('a net with an op the device cannot run is left out, with why', async () => {
    const { device } = slowMock({ unsupported: 'mbconv' });
    const r = await profile({ device, instances: insts.slice(0, 3), protocol: { ...ROUNDS, rounds: 1 }, lutPath: path.join(dir, 'c.lut.json'), nets });
    expect(r.netsSkipped.map((s) => s.id)).toEqual(['n0', 'n1', 'n2']);
    expect(r.netsSkipped[0].reason).toMatch(/mbconv/);
    expect(r.nets.size).toBe(0);
  });
});
