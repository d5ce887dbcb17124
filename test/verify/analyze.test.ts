import { describe, expect, it } from 'vitest';
import { agreement } from '../../src/core/agreement.js';
import { analyze, type MemberFigures } from '../../src/verify/analyze.js';

function member(index: number, accuracy: number, predicted: number, measured: number | null): MemberFigures {
  return {
    index,
    name: `net${index}`,
    encoding: [index],
    accuracy,
    predicted: { ms: predicted, ci95: [predicted * 0.99, predicted * 1.01], baseMs: 0.1, blocks: [] },
    metrics: { macs: 1e6, params: 1e5, activations: 1e4 },
    measured:
      measured === null
        ? null
        : { median: measured, ci95: [measured * 0.98, measured * 1.02], mean: measured, std: 0.01, p10: measured, p90: measured, n: 20, converged: true, coldMs: 1, setupMs: 1, measuredAt: '2026-01-01T00:00:00Z', resumed: index === 1 },
    failure: measured === null ? { stage: 'run', message: 'boom' } : null,
  };
}

// A predicted front (fastest first, accuracy rising); on measured latency net3 becomes slower than net4.
const FIGURES = [member(1, 70, 1.0, 1.05), member(2, 72, 2.0, 1.9), member(3, 75, 3.0, 4.5), member(4, 76, 4.0, 4.2), member(5, 78, 5.0, null)];

describe('analyze', () => {
  it('gives per-net errors, the agreement of src/core/agreement.ts, and the members that drop off the measured front', () => {
    const { members, summary } = analyze(FIGURES, null, {});
    expect(members.map((m) => m.errorPct)).toEqual([expect.closeTo(-4.7619, 3), expect.closeTo(5.263, 2), expect.closeTo(-33.333, 2), expect.closeTo(-4.7619, 3), null]);
    expect(summary.agreement).toEqual(agreement([1, 2, 3, 4], [1.05, 1.9, 4.5, 4.2]));
    expect(summary.measuredFront).toEqual(['net1', 'net2', 'net4']);
    expect(summary.dropped).toEqual(['net3']);
    expect(members.find((m) => m.name === 'net3')!.onMeasuredFront).toBe(false);
    expect(summary).toMatchObject({ measured: 4, resumed: 1, failed: 1, bestMeasured: 'net4' });
  });

  it('picks the most accurate net within the target on measured latency', () => {
    const { members, summary } = analyze(FIGURES, 2.0, {});
    expect(summary.bestMeasured).toBe('net2');
    expect(members.map((m) => m.withinTarget)).toEqual([true, true, false, false, null]);
    expect(analyze(FIGURES, 0.5, {}).summary.bestMeasured).toBeNull();
  });

  it('checks --max-error and --min-tau', () => {
    const loose = analyze(FIGURES, null, { maxErrorPct: 40, minTau: 0.5 }).checks;
    expect(loose).toMatchObject({ pass: true, maxErrorPct: { limit: 40, pass: true }, minTau: { limit: 0.5, pass: true } });
    const strict = analyze(FIGURES, null, { maxErrorPct: 10 }).checks;
    expect(strict.pass).toBe(false);
    expect(strict.maxErrorPct).toEqual({ limit: 10, actual: expect.closeTo(33.333, 2), pass: false });
    expect(strict.minTau).toBeNull();
    expect(analyze(FIGURES, null, { minTau: 0.9 }).checks.pass).toBe(false);
  });

  it('fails the checks when nothing was measured', () => {
    const none = analyze([member(1, 70, 1, null)], null, { maxErrorPct: 50, minTau: 0 });
    expect(none.summary.agreement).toBeNull();
    expect(none.checks).toEqual({ maxErrorPct: { limit: 50, actual: null, pass: false }, minTau: { limit: 0, actual: null, pass: false }, pass: false });
  });
});
