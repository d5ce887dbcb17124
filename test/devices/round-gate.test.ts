/**
 * The round gate (protocol.roundGate, devices/rounds.ts): rounds whose measuring thread waited for a CPU, or whose
 * reference read far above R, are set aside (recorded, with why) and retaken within extraRounds — for entries and
 * nets alike, since both are timed through measureInRounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DriftingMock } from './drifting-mock.js';
import { DEFAULT_ROUND_GATE, defaultRoundGate } from '../../devices/reference-choice.js';
import { referenceModel } from '../../devices/reference.js';
import { asideWhy, combineRounds, measureInRounds, measureModel, needsAnotherRound, timeRound, type RoundRecord } from '../../devices/rounds.js';
import { summarize } from '../../devices/stats.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { readLut } from '../../lut/store.js';
import { createSpace } from '../../src/spaces/registry.js';
import { profile } from '../../src/profile/profiler.js';
import { opModel } from '../../export/model.js';
import { instance } from '../../src/core/ops.js';

const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 150, targetCI: 0.02 };
const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-round-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A round of figure `median` (± 0.2%) with the given machine readings. */
function round(median: number, noise: RoundRecord['noise'] = { load1: 0 }): RoundRecord {
  const stats = summarize(Array.from({ length: 11 }, (_, i) => median * (1 + (i - 5) / 500)), 0.05);
  return { stats, coldMs: 3 * median, setupMs: 1, noise };
}

const R = 1;
const GATED: TimingProtocol = { ...FAST, rounds: 3, estimator: 'lower-half', maxSpread: 0.1, extraRounds: 2, reference: 'conv', referenceMs: R, referenceSlope: 0.3, roundGate: { ...DEFAULT_ROUND_GATE } };
const { roundGate: _, ...UNGATED } = GATED;

describe('which rounds the gate sets aside', () => {
  it('a thread that waited more than waitPct %, a reference that read more than referenceRatio × R; nothing without the gate or the reading', () => {
    expect(asideWhy(round(1, { load1: 0, waitPct: 31 }), GATED)).toBe('wait');
    expect(asideWhy(round(1, { load1: 0, waitPct: 30 }), GATED)).toBeUndefined();
    expect(asideWhy(round(1, { load1: 0, referenceMs: 2.6 * R }), GATED)).toBe('reference');
    expect(asideWhy(round(1, { load1: 0, referenceMs: 2.4 * R }), GATED)).toBeUndefined();
    expect(asideWhy(round(1, { load1: 0 }), GATED)).toBeUndefined();
    expect(asideWhy(round(1, { load1: 0, waitPct: 90, referenceMs: 9 }), UNGATED)).toBeUndefined();
    // Without R (a protocol without a reference) the reference threshold is not applied.
    expect(asideWhy(round(1, { load1: 0, referenceMs: 9 }), { ...GATED, referenceMs: undefined })).toBeUndefined();
  });
  it('the default: with a reference and several rounds only', () => {
    expect(defaultRoundGate('mbv2net64', 3)).toEqual({ waitPct: 30, referenceRatio: 2.5 });
    expect(defaultRoundGate(undefined, 3)).toBeUndefined();
    expect(defaultRoundGate('mbv2net64', 1)).toBeUndefined();
  });
  it('leaves the round out of the figure and records it with why; keeps every round where it would set aside all', () => {
    const low = round(0.7, { load1: 0, referenceMs: 3 * R }); // scaled low by its disturbed reference
    const rs = [round(1.0), low, round(1.02)];
    const gated = combineRounds(rs, GATED);
    expect(gated.stats.median).toBeCloseTo(1.0, 2);
    expect(gated.rounds).toHaveLength(2);
    expect(gated.setAside).toBe(1);
    expect(gated.details.map((d) => d.asideWhy ?? null)).toEqual([null, 'reference', null]);
    // Without the gate the lower half takes the low round in.
    expect(combineRounds(rs, UNGATED).stats.median).toBeCloseTo((0.7 + 1.0) / 2, 2);
    expect(combineRounds([low, low], GATED).rounds).toHaveLength(2);
  });
  it('retakes a round it set aside until the rounds asked for are kept, within extraRounds', () => {
    const busy = round(2, { load1: 0, waitPct: 55 });
    expect(needsAnotherRound([round(1), busy, round(1)], GATED)).toBe(true);
    expect(needsAnotherRound([round(1), busy, round(1), round(1)], GATED)).toBe(false);
    expect(needsAnotherRound([round(1), busy, busy, busy, round(1)], GATED)).toBe(false); // 3 + 2 extra taken
    // Without a spread limit the extra rounds are still the gate's to take.
    const { maxSpread: _m, ...noSpread } = GATED;
    expect(needsAnotherRound([round(1), busy, round(1)], noSpread)).toBe(true);
    expect(needsAnotherRound([round(1), round(1.5), round(1)], { ...noSpread, roundGate: undefined })).toBe(false);
  });
});

/** The figure of `model` on a steady machine. */
async function steadyMs(model: ModelUnderTest): Promise<number> {
  const d = new DriftingMock([1]);
  await d.init();
  return (await d.time(model, FAST)).stats.median;
}

describe('on a jittery machine (test/devices/drifting-mock.ts)', () => {
  const model = opModel(instance({ kind: 'conv', cout: 16, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 16, 16, 16]));
  const gate = { referenceRatio: 2.5 }; // the reference threshold alone: the test machine's own wait stays out of it

  it('a round whose reference read 3× R is set aside and retaken: the figure is the steady one; without the gate it is not', async () => {
    const steady = await steadyMs(model);
    const refMs = await steadyMs(referenceModel('conv'));
    const p: TimingProtocol = { ...GATED, referenceMs: refMs, roundGate: gate };
    // The second round's reference reads 3× (the model does not slow): scaled by it, that round is 28% low.
    const jittery = () => new DriftingMock([1], 1, { referenceSpikes: [1, 3, 1, 1, 1, 1] });
    const on = jittery();
    await on.init();
    const gated = await measureModel(on, model, p);
    expect(gated.stats.median).toBeCloseTo(steady, 6);
    expect(gated.details.map((d) => d.asideWhy ?? null)).toEqual([null, 'reference', null, null]);
    expect(on.timings).toBe(4);
    const off = jittery();
    await off.init();
    const { roundGate: _g, ...plain } = p;
    const ungated = await measureModel(off, model, plain);
    expect(ungated.stats.median / steady).toBeLessThan(0.95);
  });

  it('a round the thread spent half waiting for a CPU (the model 2× slow beside an ordinary reference) is set aside and retaken', async () => {
    const steady = await steadyMs(model);
    const refMs = await steadyMs(referenceModel('conv'));
    const p: TimingProtocol = { ...GATED, referenceMs: refMs, roundGate: { waitPct: 30 } };
    // The device's jitter and the thread's wait are one event: the rounds at the calls 0, 2 and 4 ran on a CPU shared half the time.
    const busyAt = new Set([0, 2, 4]);
    const run = async (protocol: TimingProtocol) => {
      const device = new DriftingMock([1], 1, { itemSpikes: [2, 1, 2, 1, 2, 1, 1, 1] });
      await device.init();
      const result = await measureInRounds([model], (m) => m.key, protocol, {
        time: async (m) => {
          const at = device.timings;
          const r = await timeRound(device, m, protocol);
          return { ...r, noise: { ...r.noise!, waitPct: busyAt.has(at) ? 52 : 0 } };
        },
      });
      return result.get(model.key)!;
    };
    // Rounds 0 and 2 set aside, 3 taken, 4 set aside: the budget (3 + 2) is spent and the two kept rounds make the figure.
    const gated = await run(p);
    expect(gated.stats.median).toBeCloseTo(steady, 6);
    expect(gated.setAside).toBe(3);
    expect(gated.details.map((d) => d.asideWhy ?? null)).toEqual(['wait', null, 'wait', null, 'wait']);
    // Without it the same five rounds [2, 1, 2, 1, 2] (the spread calls for the extras): the lower half takes a slow one in.
    const { roundGate: _g, ...plain } = p;
    const ungated = await run(plain);
    expect(ungated.details).toHaveLength(5);
    expect(ungated.stats.median / steady).toBeGreaterThan(1.2);
  });

  it('a LUT profiled through it keeps the gate in its protocol and each entry\'s set-aside rounds with why', async () => {
    const instances = createSpace('nb201').allInstances().slice(0, 6);
    const refMs = await steadyMs(referenceModel('conv'));
    const steadyPath = path.join(dir, 'steady.lut.json');
    const protocol: TimingProtocol = { ...FAST, rounds: 3, estimator: 'lower-half', maxSpread: 0.1, extraRounds: 2, reference: 'conv', referenceSlope: 0.3 };
    await profile({ device: new DriftingMock([1]), instances, protocol, lutPath: steadyPath });
    // Every seventh timing's reference reads 3× (none among the first five, which measure the provisional R).
    const lutPath = path.join(dir, 'gated.lut.json');
    await profile({ device: new DriftingMock([1], 1, { referenceSpikes: [1, 1, 1, 1, 1, 1, 3] }), instances, protocol: { ...protocol, roundGate: gate }, lutPath });
    const lut = readLut(lutPath);
    const steady = readLut(steadyPath);
    expect(lut.protocol.roundGate).toEqual(gate);
    expect(lut.protocol.referenceMs).toBeCloseTo(refMs, 6);
    const aside = Object.values(lut.entries).flatMap((e) => e.roundsSetAside ?? []);
    expect(aside.length).toBeGreaterThan(0);
    expect(aside.every((x) => x.why === 'reference')).toBe(true);
    for (const [key, e] of Object.entries(steady.entries)) {
      expect(lut.entries[key].stats.median).toBeCloseTo(e.stats.median, 6);
      expect(lut.entries[key].rounds).toHaveLength(3);
    }
  });

  it('under a bound on the run\'s extra rounds (none, or busy after the wait) the entries it set aside rounds of are kept unsteady, and retake replaces them', async () => {
    const instances = createSpace('nb201').allInstances().slice(0, 6);
    const protocol: TimingProtocol = { ...FAST, rounds: 3, estimator: 'lower-half', maxSpread: 0.1, extraRounds: 2, reference: 'conv', referenceSlope: 0.3, roundGate: gate };
    const spiky = () => new DriftingMock([1], 1, { referenceSpikes: [1, 1, 1, 1, 1, 1, 3] });
    for (const [name, opts] of [
      ['none', { extraRoundShare: 0 }],
      ['busy', { retakeWaitMs: 1000, cpuWait: () => 95 }],
    ] as const) {
      const lutPath = path.join(dir, `bounded-${name}.lut.json`);
      const notes: string[] = [];
      const r = await profile({ device: spiky(), instances, protocol, lutPath, onNoise: (m) => notes.push(m), ...opts });
      const lut = readLut(lutPath);
      const marked = Object.entries(lut.entries).filter(([, e]) => e.unsteady);
      expect(marked.length, name).toBeGreaterThan(0);
      for (const [, e] of Object.values(lut.entries).map((e) => ['', e] as const)) {
        // Nothing measured is lost: every entry keeps its three rounds, the set-aside ones among them, none retaken.
        expect((e.rounds?.length ?? 0) + (e.roundsSetAside?.length ?? 0)).toBe(3);
        if (e.roundsSetAside?.length) expect(e.unsteady).toEqual({ why: 'set-aside', setAside: e.roundsSetAside.length });
        else expect(e.unsteady).toBeUndefined();
      }
      expect(r.summary.unsteady.map((u) => u.key).sort()).toEqual(marked.map(([k]) => k).sort());
      expect(r.summary.extraRounds!.taken).toBe(0);
      if (name === 'busy') {
        expect(r.summary.extraRounds!.cut.busy).toBeGreaterThan(0);
        expect(notes.some((m) => /extra rounds? wait for a quieter moment/.test(m))).toBe(true);
      }
      // Retaken on a steady machine: only the unsteady ones are measured again, and come out steady.
      const again = await profile({ device: new DriftingMock([1]), instances, protocol, lutPath, retake: new Set(marked.map(([k]) => k)), extraRoundShare: 0 });
      expect(again.summary.measured).toBe(marked.length);
      expect(Object.values(readLut(lutPath).entries).filter((e) => e.unsteady)).toHaveLength(0);
    }
  });
});
