/**
 * Lock files for outputs: `<file>.lock` holds the PID (and host) of the process writing `file`.
 * A second writer either refuses at once with "in use by PID n" (a search, a verify run, a training:
 * holdLock) or waits its turn for a short update (a LUT entry: withLock, so two profiling runs into one
 * LUT merge instead of dropping each other's entries). A lock whose process is gone (killed, crashed)
 * is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { processExists } from './atomic-file.js';
import { UserError } from './errors.js';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  what: string;
}

const held = new Map<string, number>(); // lock path → times held by this process
let exitHookInstalled = false;

export function lockPath(file: string): string {
  return `${path.resolve(file)}.lock`;
}

function readLock(lock: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lock, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the lock file; false when another live process holds it (its info in `owner`). */
function tryCreate(lock: string, what: string): { ok: true } | { ok: false; owner?: LockInfo } {
  try {
    mkdirSync(path.dirname(lock), { recursive: true }); // the output's folder may not exist yet
  } catch {
    // the write itself will report why
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), what } satisfies LockInfo));
      } catch (e) {
        unlinkSync(lock);
        throw e;
      } finally {
        closeSync(fd);
      }
      return { ok: true };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // A folder we cannot create files in: the write itself will report it; do not lock.
      if (code !== 'EEXIST') {
        if (['ENOENT', 'EACCES', 'EROFS', 'EPERM', 'ENOSPC'].includes(code ?? '')) return { ok: true };
        throw e;
      }
    }
    const owner = readLock(lock);
    // A lock from a dead process on this host is stale: take it over (our own PID in a lock we do not
    // hold is a previous process that had the same PID). An unreadable lock is one being written right
    // now, or garbage from a crash mid-write: retry once, then treat it as stale.
    const stale = owner ? owner.host === hostname() && (owner.pid === process.pid || !processExists(owner.pid)) : attempt > 0;
    if (!stale) {
      if (owner) return { ok: false, owner };
      continue;
    }
    try {
      unlinkSync(lock);
    } catch {
      // someone else took it over first; try again
    }
  }
  return { ok: false, owner: readLock(lock) };
}

function release(lock: string): void {
  const n = held.get(lock) ?? 0;
  if (n > 1) return void held.set(lock, n - 1);
  held.delete(lock);
  const owner = readLock(lock);
  if (owner && owner.pid !== process.pid) return;
  try {
    unlinkSync(lock);
  } catch {
    // already gone
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process that exits (normally, or on SIGINT/SIGTERM through process.exit) leaves no lock behind.
  process.on('exit', () => {
    for (const lock of [...held.keys()]) {
      held.set(lock, 1);
      release(lock);
    }
  });
}

function inUse(file: string, what: string, owner: LockInfo | undefined): UserError {
  const by = owner ? `PID ${owner.pid}${owner.host !== hostname() ? ` on ${owner.host}` : ''} (${owner.what}, since ${owner.since})` : 'another process';
  return new UserError(`${what} ${file} is in use by ${by}`, {
    hint: `wait for it to finish or write to another file; if that process is gone, delete ${lockPath(file)}`,
  });
}

/**
 * Takes the lock of `file` for as long as the returned release function is not called (and at most
 * until this process exits). Refuses at once when another live process holds it. Re-entrant within
 * one process for the same caller chain only through withLock; a second holdLock here refuses too.
 */
export function holdLock(file: string, what: string): () => void {
  const lock = lockPath(file);
  if (held.has(lock)) throw inUse(file, what, readLock(lock));
  const r = tryCreate(lock, what);
  if (!r.ok) throw inUse(file, what, r.owner);
  held.set(lock, 1);
  installExitHook();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    release(lock);
  };
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Runs `fn` holding the lock of `file`, waiting up to `waitMs` for another process's short update to
 * finish. Re-entrant inside this process (a holder of holdLock may update its own file).
 */
export function withLock<T>(file: string, what: string, fn: () => T, waitMs = 30_000): T {
  const lock = lockPath(file);
  if (held.has(lock)) {
    held.set(lock, held.get(lock)! + 1);
    try {
      return fn();
    } finally {
      release(lock);
    }
  }
  const deadline = Date.now() + waitMs;
  for (let delay = 2; ; delay = Math.min(100, delay * 2)) {
    const r = tryCreate(lock, what);
    if (r.ok) break;
    if (Date.now() > deadline) throw inUse(file, what, r.owner);
    sleep(delay);
  }
  held.set(lock, 1);
  installExitHook();
  try {
    return fn();
  } finally {
    release(lock);
  }
}
