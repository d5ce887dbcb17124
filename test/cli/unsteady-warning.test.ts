import { describe, expect, it } from 'vitest';
import { unsteadyWarning } from '../../src/cli/commands/profile.js';
import type { ProfileSummary } from '../../src/profile/profiler.js';

const summary = (unsteady: ProfileSummary['unsteady'], extraRounds?: ProfileSummary['extraRounds']): ProfileSummary => ({
  measured: 3,
  reused: 0,
  skipped: [],
  interrupted: false,
  unsteady,
  ...(extraRounds ? { extraRounds } : {}),
});

describe('the end-of-run warning about unsteady entries', () => {
  it('is absent when every entry is steady', () => {
    expect(unsteadyWarning(summary([]), 'a.lut.json', 0.1)).toBeUndefined();
  });

  it('blames the machine only where a gate set rounds aside or the run cut extra rounds short', () => {
    const spread = [{ key: 'conv:a', why: 'spread' as const, spread: 0.15, setAside: 0, rounds: 5 }];
    const quiet = unsteadyWarning(summary(spread, { budget: 10, taken: 4, cut: { budget: 0, busy: 0 }, waitedMs: 0 }), 'a.lut.json', 0.1)!;
    expect(quiet).toMatch(/^1 entry kept unsteady in a\.lut\.json \(0 with fewer rounds than asked left after the round gate, 1 spread past 10%\); /);
    expect(quiet).toMatch(/after all their extra rounds \(--extra-rounds; the smallest entries spread most\): --retake/);
    expect(quiet).not.toMatch(/quieter machine/);
    const busy = unsteadyWarning(summary(spread, { budget: 10, taken: 0, cut: { budget: 0, busy: 1 }, waitedMs: 3000 }), 'a.lut.json', 0.1)!;
    expect(busy).toMatch(/the machine stayed busy through the wait \(--retake-wait\); .*On a quieter machine, run the same command with --retake/);
    const aside = unsteadyWarning(summary([{ key: 'conv:b', why: 'set-aside', spread: 0.02, setAside: 3, rounds: 5 }]), 'a.lut.json', 0.1)!;
    expect(aside).toMatch(/\(1 with fewer rounds than asked left after the round gate, 0 spread past 10%\).*On a quieter machine/);
  });
});
