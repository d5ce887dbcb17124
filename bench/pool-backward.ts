/**
 * The training engine's average pools (GeneralPool, src/train/nn/general-pool.ts): forward + backward CPU
 * time per call, current code against a reference checkout of it (e.g. the commit before avg-pool.ts), in one
 * process, alternating, at the zero-cost proxies' and DARTS's sizes; and the largest difference of the two
 * input gradients (the reference's are exact too: pad, 'valid' pool, rescale).
 *
 *   git archive <commit> | tar -x -C DIR && ln -s $PWD/node_modules DIR/node_modules
 *   node --import tsx bench/pool-backward.ts --reference DIR [--reps 15] [--backend wasm|cpu]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { PoolPrim } from '../src/core/graph/index.js';
import { Rng } from '../src/core/rng.js';
import { useTrainingBackend } from '../src/train/backend.js';
import { GeneralPool } from '../src/train/nn/general-pool.js';
import { SavedTensors } from '../src/train/nn/module.js';

const { values } = parseArgs({ options: { reference: { type: 'string' }, reps: { type: 'string', default: '15' }, backend: { type: 'string', default: 'wasm' } } });
if (!values.reference) throw new Error('--reference DIR (a checkout of the code to compare with) is required');
const reps = Number(values.reps);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
await useTrainingBackend(values.backend as 'wasm' | 'cpu');
const Reference = ((await import(pathToFileURL(path.resolve(values.reference, 'src/train/nn/general-pool.ts')).href)) as { GeneralPool: typeof GeneralPool }).GeneralPool;

const avg = (k: number, s: number, ceil = false): Omit<PoolPrim, 'op'> => ({ mode: 'avg', kernel: [k, k], stride: [s, s], pads: [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2], ceil, countIncludePad: false });
const CASES: [string, [number, number, number, number], Omit<PoolPrim, 'op'>][] = [
  ['avg 3×3 stride 1 pad 1 (NB201, DARTS normal cells), 64×16×16×16', [64, 16, 16, 16], avg(3, 1)],
  ['avg 3×3 stride 1 pad 1, 64×32×32×16', [64, 32, 32, 16], avg(3, 1)],
  ['avg 3×3 stride 2 pad 1 (DARTS reduction cells), 64×32×32×16', [64, 32, 32, 16], avg(3, 2)],
];
const rng = new Rng(3);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

console.log(`# GeneralPool forward + backward (${values.backend}), current against ${values.reference}; load average at start ${loadavg()}\n`);
console.log(`CPU ms per forward + backward, median of ${reps}, alternating (after 2 warm-up calls each):\n`);
console.log('| pool | reference ms | current ms | reference / current | max diff of dx / max |');
console.log('|---|---|---|---|---|');
for (const [name, shape, spec] of CASES) {
  const x = tf.tensor4d(rng.fill(shape.reduce((a, b) => a * b, 1)), shape);
  const pools = { reference: new Reference(spec), current: new GeneralPool(spec) };
  const outShape = tf.tidy(() => pools.current.forward(x).shape);
  const dy = tf.tensor4d(rng.fill(outShape.reduce((a, b) => a * b, 1)), outShape);
  // What a forward saves is freed at the end of the step, its input included (as in a network): a copy each time.
  const step = (which: 'reference' | 'current', input = tf.clone(x)) => {
    const saved = new SavedTensors();
    const dx = tf.tidy(() => {
      pools[which].forward(input, saved);
      return pools[which].backward(dy, true)!;
    });
    saved.release();
    return dx;
  };
  const time = (which: 'reference' | 'current') => {
    const input = tf.clone(x);
    const c = process.cpuUsage();
    tf.dispose(step(which, input));
    const u = process.cpuUsage(c);
    return (u.user + u.system) / 1000;
  };
  const ms = { reference: [] as number[], current: [] as number[] };
  for (let i = 0; i < 2; i++) for (const w of ['reference', 'current'] as const) time(w);
  for (let i = 0; i < reps; i++) for (const w of i % 2 ? (['current', 'reference'] as const) : (['reference', 'current'] as const)) ms[w].push(time(w));
  const [a, b] = [step('reference'), step('current')];
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(a)).dataSync()[0]);
  tf.dispose([a, b, x, dy]);
  const [r, c] = [median(ms.reference), median(ms.current)];
  console.log(`| ${name} | ${r.toFixed(2)} | ${c.toFixed(2)} | ${(r / c).toFixed(2)} | ${diff.toExponential(1)} |`);
}
console.log(`\nload average at end ${loadavg()}`);
