/**
 * The one reader of this machine's per-core L2 cache size, for the two rules that depend on it: the in-file fit's
 * warm-cache size (src/onnx/in-file.ts, four times it) and which units get an in-chain figure
 * (src/onnx/extract.ts, activations within it). Linux reports it with `getconf LEVEL2_CACHE_SIZE` (per core:
 * 1 MiB on the development VM, where lscpu says "2 MiB (2 instances)"); where it reports none (not Linux, or a
 * VM that hides it) 1 MiB is assumed. Read once per process.
 */
import { execFileSync } from 'node:child_process';

/** Assumed where the OS does not report its L2: 1 MiB, as on this project's machines. */
export const DEFAULT_L2_BYTES = 1 << 20;

let cached: number | undefined;

/** A core's L2 in bytes (getconf LEVEL2_CACHE_SIZE), DEFAULT_L2_BYTES where the OS reports none. */
export function l2CacheBytes(): number {
  if (cached !== undefined) return cached;
  let l2 = DEFAULT_L2_BYTES;
  try {
    const v = Number(execFileSync('getconf', ['LEVEL2_CACHE_SIZE'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    if (Number.isFinite(v) && v > 0) l2 = v;
  } catch {
    // no getconf (not Linux): the default
  }
  cached = l2;
  return l2;
}
