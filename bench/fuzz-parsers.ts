/**
 * A longer fuzz run of the file parsers than the test suite's (bench/fuzz/harness.ts): N mutated
 * inputs per parser, a fresh random seed unless given. Prints, per parser, how many inputs were refused
 * (one clear UserError) and accepted (a result that re-validates), and the time per input; exits 1 with
 * the shrunk counterexample on the first internal error, unclear message or wrong accepted result.
 *
 *   node dist/bench/fuzz-parsers.js [--runs 100000] [--seed S] [--only "LUT file"|"ONNX file"]
 */
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fuzzParser, parserCases } from './fuzz/harness.js';
import { fuzzOnnx } from './fuzz/onnx.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(arg('runs') ?? 100_000);
const seed = arg('seed') === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(arg('seed'));
const only = arg('only');

console.log(`fuzzing the parsers: ${runs} inputs each, seed ${seed}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
let failed = false;
for (const c of parserCases()) {
  if (only && c.name !== only) continue;
  const t0 = performance.now();
  try {
    const counts = await fuzzParser(c, runs, seed);
    const ms = performance.now() - t0;
    console.log(`${c.name.padEnd(18)} ${counts.refused} refused, ${counts.accepted} accepted, no failure; ${(ms / 1000).toFixed(1)} s (${((1000 * ms) / runs).toFixed(0)} µs per input)`);
  } catch (e) {
    failed = true;
    console.log(`${c.name.padEnd(18)} FAILED: ${(e as Error).message}`);
  }
}
if (!only || only === 'ONNX file') {
  // Binary files: mutated ONNX models through the reader (bench/fuzz/onnx.ts).
  const t0 = performance.now();
  try {
    const counts = await fuzzOnnx(path.join(tmpdir(), `nas-fuzz-${process.pid}.onnx`), runs, seed);
    const ms = performance.now() - t0;
    console.log(`${'ONNX file'.padEnd(18)} ${counts.refused} refused, ${counts.accepted} accepted, no failure; ${(ms / 1000).toFixed(1)} s (${((1000 * ms) / runs).toFixed(0)} µs per input, slowest ${counts.slowestMs.toFixed(0)} ms)`);
  } catch (e) {
    failed = true;
    console.log(`${'ONNX file'.padEnd(18)} FAILED: ${(e as Error).message}`);
  }
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
process.exitCode = failed ? 1 : 0;
