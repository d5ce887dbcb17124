/** Progress lines on a non-terminal stderr (src/cli/progress.ts): the caller's ETA where it gives one, and a line every 30 s while the count stands still. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';

let lines: string[];
let tty: boolean | undefined;
beforeEach(() => {
  lines = [];
  tty = process.stderr.isTTY;
  (process.stderr as { isTTY?: boolean }).isTTY = false;
  vi.useFakeTimers();
  vi.setSystemTime(0);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  (process.stderr as { isTTY?: boolean }).isTTY = tty;
});

describe('progress lines', () => {
  it("print the caller's ETA, not one from the share done", () => {
    const p = createProgress('profiling', 23, { callerEta: true });
    vi.setSystemTime(24_000);
    p.update(1, 'a', 7_000);
    expect(lines).toEqual([expect.stringMatching(/^profiling: 1\/23 \(4%\) elapsed 24s ETA 7s a\n$/)]);
    // Without the caller's estimate it says it does not know rather than extrapolating the share done.
    vi.setSystemTime(31_000);
    p.update(2, 'b');
    expect(lines[1]).toMatch(/ETA \? b/);
    // Without callerEta: the share done, as before.
    const q = createProgress('x', 10);
    vi.setSystemTime(41_000);
    q.update(5);
    expect(lines[2]).toMatch(/^x: 5\/10 \(50%\) elapsed 10s ETA 10s/);
  });

  it('a line every 30 s while the count does not move, none more often', () => {
    const p = createProgress('profiling', 10, { callerEta: true });
    vi.setSystemTime(6_000);
    p.update(0, 'r1', 60_000); // the first line
    vi.setSystemTime(20_000);
    p.update(0, 'r2', 50_000); // the count stands still, 14 s on: nothing
    expect(lines).toHaveLength(1);
    vi.setSystemTime(37_000);
    p.update(0, 'r3', 40_000); // 31 s on: a line
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/0\/10 .*elapsed 37s ETA 40s r3/);
    vi.setSystemTime(40_000);
    p.update(0, 'r4', 30_000);
    expect(lines).toHaveLength(2);
  });
});
