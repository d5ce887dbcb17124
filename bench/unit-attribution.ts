/**
 * Where ort-cpu's plain LUT sum over-predicts a space (docs/benchmarks.md, "Where ort-cpu's over-prediction of
 * the cell spaces comes from"): replays a bench/fidelity.ts run's own measurements (its JSON and LUT, e.g. the
 * quiet runs) and sets against them the plain sum less two per-unit costs measured now, in this process:
 *
 * - own reorders: the NCHWc reorders each unit's one-unit model ran (src/profile/own-layout.ts: onnxruntime's
 *   profiler, fastest of 20 runs; what `nas profile` now records per entry on ort-cpu), those at the unit's
 *   edges and all;
 * - boundary: an Identity on the unit's output shape less an Identity on 1x1x1x1 (10th percentile of 300 runs
 *   each): what moving a tensor of the unit's output size through one session run costs, which each unit pays
 *   and a network pays once.
 *
 *   node --import tsx bench/unit-attribution.ts /work/quiet/fid11/out2/fidelity-cpu-128-t1-darts32-rounds.json [--no-boundary]
 *
 * Rebuilds the nets exactly as bench/fidelity.ts does (same spaces, seeds and order) and matches them by name.
 */
import { readFileSync } from 'node:fs';
import type { Architecture } from '../src/core/arch.js';
import { lutInstances } from '../src/core/decompose.js';
import { opKey } from '../src/core/keys.js';
import { outputShape, type Shape } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';
import { measureOwnLayout } from '../src/profile/own-layout.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';
import { opModel, overheadModel } from '../export/model.js';
import type { ModelUnderTest } from '../devices/types.js';

const file = process.argv[2];
const withBoundary = !process.argv.includes('--no-boundary');
if (!file) throw new Error('usage: unit-attribution.ts <fidelity-….json> [--no-boundary]');
const run = JSON.parse(readFileSync(file, 'utf8')) as {
  args: { resolution: number; count: number; seed: number; published: boolean; otherSpace: string; otherCount: number; otherResolution?: number; otherOptions?: string; device: string };
  points: { name: string; set: string; measured: number; plain: number }[];
};
const a = run.args;
if (!['cpu', 'ort-cpu'].includes(a.device)) throw new Error(`the reorders are onnxruntime-node's: replay an ort-cpu run, not ${a.device}`);

// The nets, as bench/fidelity.ts builds them.
const archs: Architecture[] = [];
const mbv2 = createSpace('mbv2', { resolution: a.resolution });
const rng = new Rng(a.seed);
for (let i = 0; i < a.count; i++) archs.push(mbv2.build(mbv2.sample(rng)));
if (a.published) archs.push(...loadPublishedNets({ resolution: a.resolution }).nets);
if (a.otherCount > 0) {
  const other = createSpace(a.otherSpace, { ...(a.otherOptions ? JSON.parse(a.otherOptions) : {}), resolution: a.otherResolution ?? a.resolution });
  const otherRng = new Rng(a.seed);
  for (let i = 0; i < a.otherCount; i++) archs.push(other.build(other.sample(otherRng)));
}

const ort = await import('onnxruntime-node');
/** 10th percentile of 300 runs (after 20 warm-up runs) in a 1-thread session at level all, ms. */
async function p10(m: ModelUnderTest): Promise<number> {
  const s = await ort.InferenceSession.create(m.onnx, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  for (const i of m.inputs) feeds[i.name] = new ort.Tensor('float32', new Float32Array(i.shape.reduce((x, y) => x * y, 1)).fill(0.5), i.shape);
  for (let r = 0; r < 20; r++) await s.run(feeds);
  const ts: number[] = [];
  for (let r = 0; r < 300; r++) {
    const t0 = performance.now();
    await s.run(feeds);
    ts.push(performance.now() - t0);
  }
  await s.release();
  return ts.sort((x, y) => x - y)[Math.floor(ts.length * 0.1)];
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const load0 = loadavg();
const base = withBoundary ? await p10(overheadModel([1, 1, 1, 1])) : 0;
const boundary = new Map<string, number>();
const reorders = new Map<string, { all: number; edges: number }>();
const rows: { set: string; measured: number; plain: number; reorderMs: number; edgeMs: number; boundaryMs: number }[] = [];
for (const arch of archs) {
  const p = run.points.find((q) => q.name === arch.name);
  if (!p) throw new Error(`${file} has no point for ${arch.name}: not the run these arguments rebuild`);
  let reorderMs = 0;
  let edgeMs = 0;
  let boundaryMs = 0;
  for (const { inst } of lutInstances(arch)) {
    const key = opKey(inst);
    if (!reorders.has(key)) {
      const own = await measureOwnLayout(opModel(inst));
      reorders.set(key, { all: own.kernelMs, edges: own.edgeMs ?? 0 });
    }
    reorderMs += reorders.get(key)!.all;
    edgeMs += reorders.get(key)!.edges;
    if (!withBoundary) continue;
    const out = outputShape(inst.spec, inst.input);
    const sk = out.join('x');
    if (!boundary.has(sk)) boundary.set(sk, Math.max(0, (await p10(overheadModel([...out] as unknown as Shape))) - base));
    boundaryMs += boundary.get(sk)!;
  }
  rows.push({ set: p.set, measured: p.measured, plain: p.plain, reorderMs, edgeMs, boundaryMs });
}

const variants: [string, (r: (typeof rows)[number]) => number][] = [
  ['plain sum (as the run predicted)', (r) => r.plain],
  ['less units\' own reorders at their edges', (r) => r.plain - r.edgeMs],
  ['less all units\' own reorders', (r) => r.plain - r.reorderMs],
  ...(withBoundary
    ? ([
        ['less boundary', (r) => r.plain - r.boundaryMs],
        ['less both', (r) => r.plain - r.reorderMs - r.boundaryMs],
      ] as [string, (r: (typeof rows)[number]) => number][])
    : []),
];
console.log(`${file}: ${rows.length} nets; corrections measured with load average ${load0} at the start, ${loadavg()} at the end`);
console.log('\n| set | prediction | n | within ±10% | mean \\|err\\| | mean signed err |\n|---|---|---|---|---|---|');
for (const set of [...new Set(rows.map((r) => r.set))])
  for (const [label, f] of variants) {
    const errs = rows.filter((r) => r.set === set).map((r) => 100 * (f(r) / r.measured - 1));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    console.log(`| ${set} | ${label} | ${errs.length} | ${errs.filter((e) => Math.abs(e) <= 10).length} | ${mean(errs.map(Math.abs)).toFixed(1)}% | ${mean(errs).toFixed(1)}% |`);
  }
