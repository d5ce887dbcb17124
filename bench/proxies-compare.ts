/**
 * Compares zero-cost proxy settings on NAS-Bench-201 from the per-cell ledgers that
 * bench/proxies-nb201.ts writes (one ledger per setting), on the cells every ledger holds:
 * Spearman ρ and Kendall τ of each proxy against the benchmark's accuracy, with a 95% bootstrap interval
 * of ρ (cells drawn with replacement), and the paired bootstrap interval of each setting's ρ minus the
 * first ledger's (the same draws for both, so the cells' own spread cancels out).
 *
 *   node --import tsx bench/proxies-compare.ts --ledger base.jsonl --ledger other.jsonl [--proxies snip,grad_norm] [--resamples 2000]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { kendallTau, spearmanRho } from '../src/core/agreement.js';
import { Rng } from '../src/core/rng.js';
import { percentile } from '../src/designspace/bootstrap.js';
import { loadNb201Table, NB201_DATASETS } from '../src/latency/nb201-data.js';

const args = await yargs(process.argv.slice(2))
  .option('ledger', { type: 'string', array: true, demandOption: true, describe: 'per-cell ledgers (.jsonl), the first is the baseline' })
  .option('proxies', { type: 'string', describe: 'comma-separated (default: those every ledger scores)' })
  .option('resamples', { type: 'number', default: 2000 })
  .option('seed', { type: 'number', default: 0, describe: 'seeds the bootstrap draws' })
  .option('nb201-file', { type: 'string' })
  .strict()
  .parse();

type Row = { cell: string; scores: Record<string, number> };
const ledgers = args.ledger.map((file) => {
  const rows = new Map<string, Row>();
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim()) rows.set((JSON.parse(line) as Row).cell, JSON.parse(line) as Row);
  return { file, rows };
});
// Common cells, in the first ledger's order.
const cells = [...ledgers[0].rows.keys()].filter((c) => ledgers.every((l) => l.rows.has(c)));
const scoredEverywhere = Object.keys(ledgers[0].rows.get(cells[0])!.scores).filter((p) => ledgers.every((l) => cells.every((c) => Number.isFinite(l.rows.get(c)!.scores[p]))));
const proxies = args.proxies ? args.proxies.split(',') : scoredEverywhere;
const table = loadNb201Table(args.nb201File);

// One set of draws for everything, so every ρ and every difference is judged on the same resampled cells.
const rng = new Rng(args.seed);
const draws = Array.from({ length: args.resamples }, () => Uint32Array.from({ length: cells.length }, () => rng.int(cells.length)));
const pick = (v: readonly number[], idx: Uint32Array) => Array.from(idx, (i) => v[i]);
const ci = (values: number[]) => `[${percentile(values, 2.5).toFixed(3)}, ${percentile(values, 97.5).toFixed(3)}]`;

console.log(`# ${cells.length} common cells, ${args.resamples} bootstrap draws (seed ${args.seed}); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
ledgers.forEach((l, i) => console.log(`${i === 0 ? 'baseline' : `setting ${i}`}: ${path.basename(l.file)}`));
for (const d of NB201_DATASETS) {
  const acc = cells.map((c) => table.byArch.get(c)!.acc[d]);
  console.log(`\n## ${d}\n`);
  console.log(`| proxy | ledger | τ | ρ | ρ 95% interval | ρ − baseline's ρ [95% interval] |`);
  console.log(`|---|---|---|---|---|---|`);
  for (const p of proxies) {
    const base = cells.map((c) => ledgers[0].rows.get(c)!.scores[p]);
    const baseDraws = draws.map((idx) => spearmanRho(pick(base, idx), pick(acc, idx)));
    ledgers.forEach((l, i) => {
      const x = cells.map((c) => l.rows.get(c)!.scores[p]);
      const rho = spearmanRho(x, acc);
      const own = i === 0 ? baseDraws : draws.map((idx) => spearmanRho(pick(x, idx), pick(acc, idx)));
      const diff = i === 0 ? '' : `${(rho - spearmanRho(base, acc)).toFixed(3)} ${ci(own.map((r, k) => r - baseDraws[k]))}`;
      console.log(`| ${p} | ${i === 0 ? 'baseline' : `setting ${i}`} | ${kendallTau(x, acc).toFixed(3)} | ${rho.toFixed(3)} | ${ci(own)} | ${diff} |`);
    });
  }
}
