/** protocol.netRounds: whole nets take their own rounds beside entries that keep protocol.rounds, in one place (netProtocol). */
import { describe, expect, it } from 'vitest';
import { measureAll, protocolOfItem, type Measurable } from '../../devices/measurables.js';
import { DEFAULT_NET_ROUNDS, defaultNetRounds } from '../../devices/reference-choice.js';
import { netProtocol, roundCount, type RoundRecord } from '../../devices/rounds.js';
import { summarize } from '../../devices/stats.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { protocolDifferences } from '../../lut/compare.js';

const BASE: TimingProtocol = { warmup: 2, minRepeats: 20, maxRepeats: 200, maxTimeMs: 300, targetCI: 0.02, rounds: 2, estimator: 'median' };

function round(ms: number): RoundRecord {
  return { stats: summarize(Array.from({ length: 11 }, () => ms), 0.05), coldMs: ms, setupMs: 1 };
}

describe('netProtocol', () => {
  it('is the protocol itself without netRounds, and the protocol with netRounds rounds with it', () => {
    expect(netProtocol(BASE)).toBe(BASE);
    const p = netProtocol({ ...BASE, netRounds: 5 });
    expect(p.rounds).toBe(5);
    expect(roundCount(p)).toBe(5);
    // applied twice, the same
    expect(netProtocol(p)).toEqual(p);
    // everything else kept
    expect({ ...p, rounds: BASE.rounds, netRounds: undefined }).toEqual({ ...BASE, netRounds: undefined });
  });
  it('protocolOfItem: a net gets it, an entry and the overhead the protocol', () => {
    const p = { ...BASE, netRounds: 4 };
    expect(protocolOfItem({ kind: 'net' }, p).rounds).toBe(4);
    expect(protocolOfItem({ kind: 'entry' }, p)).toBe(p);
    expect(protocolOfItem({ kind: 'overhead' }, p)).toBe(p);
  });
});

describe('measureAll with protocol.netRounds', () => {
  it('times every net netRounds times and every entry rounds times, in the same passes, each round under its own protocol', async () => {
    const items: Measurable[] = [
      ...['e1', 'e2', 'e3'].map((key) => ({ key, kind: 'entry' as const, build: (): ModelUnderTest => ({ key, onnx: new Uint8Array(8) }) as unknown as ModelUnderTest })),
      ...['n1', 'n2'].map((key) => ({ key, kind: 'net' as const, build: (): ModelUnderTest => ({ key, onnx: new Uint8Array(8) }) as unknown as ModelUnderTest })),
    ];
    const calls: { key: string; rounds: number | undefined; pass: number }[] = [];
    let pass = -1;
    const protocol = { ...BASE, netRounds: 4 };
    const results = await measureAll(items, protocol, {
      timer: {
        beforePass: async () => void pass++,
        time: async (model, p) => {
          calls.push({ key: model.key, rounds: p?.rounds, pass });
          return round(1);
        },
      },
    });
    const count = (key: string) => calls.filter((c) => c.key === key).length;
    for (const e of ['e1', 'e2', 'e3']) expect(count(e)).toBe(2);
    for (const n of ['n1', 'n2']) expect(count(n)).toBe(4);
    expect(calls.filter((c) => c.key.startsWith('e')).every((c) => c.rounds === 2)).toBe(true);
    expect(calls.filter((c) => c.key.startsWith('n')).every((c) => c.rounds === 4)).toBe(true);
    // the entries' two rounds share the nets' first two passes
    expect(new Set(calls.filter((c) => c.key.startsWith('e')).map((c) => c.pass))).toEqual(new Set([0, 1]));
    expect(results.get('n1')!.details).toHaveLength(4);
    expect(results.get('e1')!.details).toHaveLength(2);
  });
});

describe('defaultNetRounds and the LUT id', () => {
  it(`${DEFAULT_NET_ROUNDS} with a reference and several rounds (never fewer than the rounds), none without a reference or with one round`, () => {
    expect(defaultNetRounds('mbv2net64', 3)).toBe(DEFAULT_NET_ROUNDS);
    expect(defaultNetRounds('mbv2net64', 9)).toBe(9);
    expect(defaultNetRounds(undefined, 3)).toBeUndefined();
    expect(defaultNetRounds('mbv2net64', 1)).toBeUndefined();
  });
  it('netRounds is a record of how nets are measured, not a setting of the entries: no difference between LUT protocols', () => {
    expect(protocolDifferences({ ...BASE, netRounds: 6 }, BASE)).toEqual([]);
    expect(protocolDifferences({ ...BASE, rounds: 3 }, BASE)).not.toEqual([]);
  });
});
