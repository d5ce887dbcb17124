/**
 * How much the timing harness adds to what it measures, on one onnxruntime-node CPU session with
 * the ort-cpu device's options. Many short rounds alternate (in alternating order) between:
 *   - bare:  a `for` loop of N session.run calls, timed as a whole;
 *   - timed: timedLoop(session.run).samples(N), the loop every in-process device uses, also timed
 *            as a whole (so the cost of its per-run bookkeeping is included).
 * Short adjacent rounds see the same machine load, which matters on a shared machine. Printed per
 * case: per-run time of both (median over rounds) and the difference (target ≤2%), plus the
 * median that measure() reports for the same session (what a LUT stores). Asserts nothing.
 *
 *   node --import tsx bench/overhead.ts [--threads N] [--rounds R]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { median } from 'simple-statistics';
import { measure, timedLoop } from '../devices/harness.js';
import { ortCpuSessionOptions, parseOrtCpuOptions } from '../devices/ort-cpu/index.js';
import { DEFAULT_PROTOCOL } from '../devices/types.js';
import { opModel } from '../export/model.js';
import { instance } from '../src/core/ops.js';
import { Rng } from '../src/core/rng.js';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1' }, rounds: { type: 'string', default: '30' } } });
const options = parseOrtCpuOptions({ threads: values.threads });
const rounds = Number(values.rounds);
/** Wall time of one round of one side: long enough to average timer noise, short enough to see steady load. */
const ROUND_MS = 20;

const cases = [
  { name: 'mbconv k5 e6 56x56', inst: instance({ kind: 'mbconv', cout: 24, k: 5, stride: 1, expand: 6, se: 0, act: 'relu6', skip: true }, [1, 24, 56, 56]) },
  { name: 'tiny pool 8x8', inst: instance({ kind: 'pool', mode: 'max', k: 3, stride: 1 }, [1, 8, 8, 8]) },
];

const ort = await import('onnxruntime-node');
console.log(`onnxruntime-node ${ort.env.versions.node} cpu, threads=${options.threads}, ${rounds} rounds of ~${ROUND_MS} ms per side`);
for (const { name, inst } of cases) {
  const model = opModel(inst);
  const session = await ort.InferenceSession.create(model.onnx, ortCpuSessionOptions(options));
  const rng = new Rng(1);
  const feeds = Object.fromEntries(model.inputs.map((i) => [i.name, new ort.Tensor('float32', rng.fill(i.shape.reduce((a, b) => a * b, 1)), i.shape)]));
  const run = () => session.run(feeds);
  const source = timedLoop(run);

  const m = await measure(source, DEFAULT_PROTOCOL); // also warms the session up
  const runs = Math.max(10, Math.round(ROUND_MS / m.stats.median));
  const bare = async () => {
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await run();
    return (performance.now() - t0) / runs;
  };
  const timed = async () => {
    const t0 = performance.now();
    await source.samples(runs);
    return (performance.now() - t0) / runs;
  };
  const bareMs: number[] = [];
  const timedMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2) {
      bareMs.push(await bare());
      timedMs.push(await timed());
    } else {
      timedMs.push(await timed());
      bareMs.push(await bare());
    }
  }
  await session.release();
  const [b, t] = [median(bareMs), median(timedMs)];
  console.log(
    `${name.padEnd(20)} bare ${b.toFixed(4)} ms/run, timedLoop ${t.toFixed(4)} ms/run: ${(((t - b) / b) * 100).toFixed(2)}% ` +
      `(${runs} runs/round); measure() median ${m.stats.median.toFixed(4)} ms, n=${m.stats.n}, converged=${m.stats.converged}`,
  );
}
