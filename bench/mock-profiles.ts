/**
 * What the mock-device LUT profiles of test/cli/seed-spaces-search.e2e.test.ts cost: its 9 spaces at 32 px into one
 * LUT (in process, as the test runs them), then mbv2 at 32 px with 10 calibration networks, in a folder under
 * TMPDIR (set TMPDIR=/dev/shm to see what the LUT journals' fsyncs cost on disk). Prints each profile's wall time.
 *
 *   node --import tsx bench/mock-profiles.ts LABEL
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { main } from '../src/cli/main.js';

const FAST = ['--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--max-time-ms', '50', '--target-ci', '0.5'];
const MOCK = ['--device', 'mock', '--device-opt', 'noise=0'];
const SPACES = ['shufflenetv2', 'shufflenetv2-channels', 'fbnet', 'regnet', 'anynet', 'anynet-b', 'anynet-c', 'anynet-d', 'anynet-e'];

const dir = mkdtempSync(path.join(tmpdir(), 'mock-profiles-'));
const print = process.stderr.write.bind(process.stderr);
// The CLI's own output is not the figure: silenced.
process.stdout.write = (() => true) as typeof process.stdout.write;
process.stderr.write = (() => true) as typeof process.stderr.write;
const timed = async (args: string[]) => {
  const t = performance.now();
  const code = await main(args);
  if (code) throw new Error(`nas ${args.join(' ')} exited ${code}`);
  return (performance.now() - t) / 1000;
};
try {
  const parts: string[] = [];
  let total = 0;
  for (const space of SPACES) {
    const s = await timed(['profile', ...MOCK, '--space', space, '--resolution', '32', '--calibrate', '0', '--out', path.join(dir, 'mock.lut.json'), ...FAST]);
    total += s;
    parts.push(`${space} ${s.toFixed(2)}`);
  }
  const cal = await timed(['profile', ...MOCK, '--space', 'mbv2', '--resolution', '32', '--calibrate', '10', '--out', path.join(dir, 'cal.lut.json'), ...FAST]);
  print(`${process.argv[2] ?? ''}: 9 spaces ${total.toFixed(2)} s | ${parts.join(', ')} | mbv2 --calibrate 10 ${cal.toFixed(2)} s\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
