/**
 * Ctrl-C (SIGINT) and SIGTERM: every command saves what it measures as it goes (LUT entries, search
 * and training checkpoints, verify state, each written atomically), so stopping loses at most the item
 * in progress. The process exits with 128 + the signal number (130, 143), releasing its lock files
 * through the 'exit' handlers, after one line that says how to resume: the same command again.
 */
import { flushBeforeExit } from '../core/interrupt.js';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** The command line as typed, quoted for a POSIX shell where needed. */
export function commandLine(args: readonly string[]): string {
  return ['nas', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function installInterruptHandlers(args: readonly string[]): void {
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.on(signal, () => {
      const failed = flushBeforeExit();
      for (const e of failed) process.stderr.write(`\nerror: could not save before stopping: ${(e as Error).message}\n`);
      process.stderr.write(`\ninterrupted (${signal}): what was measured so far is saved; to resume, run the same command again:\n  ${commandLine(args)}\n`);
      process.exit(code);
    });
  }
}
