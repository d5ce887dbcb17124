/**
 * NASNet-RL: the one RL controller (src/search/mnasnet) over the `nasnet` space's decisions, which NASNet's
 * controller makes (Zoph et al. 2018): per cell (normal, then reduction) and block, input 1 and input 2 (among
 * the 2 + b states before block b), op 1 and op 2 (13 ops) and the combine (add or concat).
 * A toy objective on the real space shows that both kinds of decision are learned: accuracy grows with the
 * number of sep_conv_3x3 edges, latency with the number of edges reading the cell inputs (states 0, 1).
 */
import { describe, expect, it } from 'vitest';
import type { Architecture } from '../../../src/core/arch.js';
import { NASNET_OPS } from '../../../src/core/nasnet-cell.js';
import { MnasnetSearch, type BatchStats } from '../../../src/search/mnasnet/search.js';
import { createNasnetSpace } from '../../../src/spaces/nasnet.js';

const space = createNasnetSpace({ resolution: 8, normalCells: 1, filters: 4 });
const SEP3 = NASNET_OPS.indexOf('sep_conv_3x3');
/** Per block: [input a, input b, op a, op b, combine]. */
const edges = (a: Architecture) => {
  const e = a.space!.encoding;
  return Array.from({ length: e.length / 5 }, (_, i) => e.slice(5 * i, 5 * i + 5));
};
const latency = { id: 'input-reads', provenance: {}, latency: (a: Architecture) => ({ ms: 1 + edges(a).reduce((s, [x, y]) => s + (x < 2 ? 1 : 0) + (y < 2 ? 1 : 0), 0) }) };
const evaluator = { id: 'sep3', provenance: {}, evaluate: async (a: Architecture) => 40 + 2 * edges(a).reduce((s, [, , p, q]) => s + (p === SEP3 ? 1 : 0) + (q === SEP3 ? 1 : 0), 0) };
// Block 0 of each cell can only read the inputs: at least 4 such edges, 5 ms.
const TARGET = 6;

describe('NASNet-RL: the controller over the nasnet space', () => {
  it('declares the decisions NASNet’s controller makes: per block two inputs among 2 + b states, two of 13 ops and a combine', () => {
    const d = space.decisions();
    expect(d).toHaveLength(2 * 5 * 5);
    expect(d.slice(0, 10).map((x) => [x.name, x.options.length])).toEqual([
      ['normal.block2.input_a', 2],
      ['normal.block2.input_b', 2],
      ['normal.block2.op_a', 13],
      ['normal.block2.op_b', 13],
      ['normal.block2.combine', 2],
      ['normal.block3.input_a', 3],
      ['normal.block3.input_b', 3],
      ['normal.block3.op_a', 13],
      ['normal.block3.op_b', 13],
      ['normal.block3.combine', 2],
    ]);
    expect(d[25].name).toBe('reduce.block2.input_a');
    expect(d[45].options).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  // PPO's learning is shown on the toy space (search.test.ts); it costs 4 updates per batch, too slow here.
  it('REINFORCE learns both the ops and the inputs under the hard latency reward', async () => {
    const batches: BatchStats[] = [];
    const r = await new MnasnetSearch({ preset: 'hard', algorithm: 'reinforce', learningRate: 0.05, maxSamples: 320, onBatch: (b) => batches.push(b) }).run({ space, latency, evaluator, budget: 320, targetMs: TARGET, seed: 3 });
    expect(batches).toHaveLength(40);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const stats = (bs: BatchStats[]) => {
      const encodings = bs.flatMap((b) => b.encodings);
      const ops = encodings.flatMap((e) => e.filter((_, i) => i % 5 === 2 || i % 5 === 3));
      return { reward: mean(bs.flatMap((b) => b.rewards)), latency: mean(bs.flatMap((b) => b.latencies)), sep3: ops.filter((o) => o === SEP3).length / ops.length };
    };
    const first = stats(batches.slice(0, 5));
    const last = stats(batches.slice(-5));
    expect(last.reward).toBeGreaterThan(first.reward + 0.05);
    expect(last.latency).toBeLessThan(first.latency - 1.5);
    expect(last.sep3).toBeGreaterThan(2 * first.sep3);
    for (const c of r.history) expect(c.encoding).toHaveLength(50);
    expect(r.best === undefined || r.best.latency.ms <= TARGET).toBe(true);
  }, 240_000);
});
