/**
 * Fuzz of the file parsers (bench/fuzz/harness.ts): 10,000 mutated files per parser, in-process. Each
 * is refused with one clear UserError (exit 2, no stack) or accepted with a result that re-validates
 * and round-trips; a crash, a hang (the test's time limit) or a wrong accepted result fails. A fixed
 * seed keeps the run reproducible; bench/fuzz-parsers.ts runs longer with fresh seeds.
 */
import { describe, expect, it } from 'vitest';
import { fuzzParser, parserCases } from '../../bench/fuzz/harness.js';

const RUNS = 10_000;

describe('parser fuzzing', () => {
  for (const c of parserCases()) {
    it(`${c.name}: every seed is a valid file (the mutations start from accepted input)`, async () => {
      for (const seed of c.seeds) c.check(await c.parse(seed));
    });
    it(`${c.name}: ${RUNS} mutated inputs, each refused clearly or accepted correctly`, async () => {
      const counts = await fuzzParser(c, RUNS, 16);
      expect(counts.accepted + counts.refused).toBeGreaterThanOrEqual(RUNS);
      // Both outcomes occur: the mutations neither all break the file nor all miss what is checked.
      expect(counts.refused).toBeGreaterThan(RUNS / 10);
      expect(counts.accepted).toBeGreaterThan(0);
    }, 120_000);
  }
});
