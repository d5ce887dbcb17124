/**
 * Every file the tool writes (LUTs, fronts, checkpoints, reports, ONNX files) goes through
 * writeFileAtomic: the bytes go to a temporary file in the same folder, every byte is checked as
 * written, the file is fsynced, then renamed over the target and the folder fsynced. Readers see the
 * old file or the new one, never a part of one; a full disk (ENOSPC), a read-only file system (EROFS)
 * or a permission problem (EACCES) leaves the previous file intact and the temporary file removed,
 * and ends in one IoError (exit code 74) naming the file and the cause.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { IoError } from './errors.js';

/**
 * The file-system calls the writer uses, as one object so a test can inject a fault (a short write,
 * ENOSPC) at exactly one call without a full disk.
 */
export const fsCalls = { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync, mkdirSync };

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device (the disk is full)',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'the path is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  // mkdir -p through a regular file
  EEXIST: 'a part of the path is a file, not a folder',
  ENOENT: 'the folder does not exist',
  EIO: 'an input/output error on the device',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the file name is too long',
};

/** "no space left on the device (ENOSPC)" for a Node fs error, else its message. */
export function describeIoError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && Object.hasOwn(CAUSES, code)) return `${CAUSES[code]} (${code})`;
  return (e as Error)?.message ?? String(e);
}

/** An fs error as an IoError about `what` (e.g. "LUT file out.lut.json"); other errors pass through. */
export function ioError(what: string, e: unknown, hint?: string): IoError | unknown {
  if (e instanceof IoError) return e;
  if (!(e as NodeJS.ErrnoException)?.code) return e;
  return new IoError(`cannot write ${what}: ${describeIoError(e)}`, { cause: e, hint: hint ?? hintFor((e as NodeJS.ErrnoException).code) });
}

function hintFor(code: string | undefined): string | undefined {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'free some space (or write elsewhere) and run the same command again: what was saved before is intact';
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return 'write to a folder you can write to';
  return undefined;
}

/** Writes all of `bytes` to `fd`; a write that makes no progress is a full disk. */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fsCalls.writeSync(fd, bytes, done, bytes.length - done);
    if (!(n > 0)) {
      const e = new Error(`wrote ${done} of ${bytes.length} bytes`) as NodeJS.ErrnoException;
      e.code = 'ENOSPC';
      throw e;
    }
    done += n;
  }
}

/** The temporary file beside `file` that this process writes. */
export function temporaryPath(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

/**
 * Writes `data` to `file` atomically and durably. `what` names the file in errors ("LUT file x.json").
 * Creates the folder. Throws IoError (exit 74) on any file-system failure, with `file` untouched.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, what = `file ${file}`, options: { hint?: string } = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = path.dirname(path.resolve(file));
  const tmp = temporaryPath(file);
  let created = false;
  try {
    fsCalls.mkdirSync(dir, { recursive: true });
    const fd = fsCalls.openSync(tmp, 'w');
    created = true;
    try {
      writeAll(fd, bytes);
      fsCalls.fsyncSync(fd);
    } finally {
      fsCalls.closeSync(fd);
    }
    fsCalls.renameSync(tmp, file);
    created = false;
  } catch (e) {
    if (created) {
      try {
        fsCalls.unlinkSync(tmp);
      } catch {
        // nothing to remove
      }
    }
    throw ioError(what, e, options.hint);
  }
  syncDirectory(dir);
}

/** Makes the rename itself durable (a crash right after it must not bring the old file back). */
export function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether process `pid` is alive (EPERM: alive, owned by someone else). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporary files that killed writers left beside `file` (their process no longer exists). */
export function removeStaleTemporaries(file: string): void {
  const dir = path.dirname(path.resolve(file));
  const prefix = `${path.basename(file)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && !processExists(pid)) {
      try {
        unlinkSync(path.join(dir, name));
      } catch {
        // another process cleaned it up first
      }
    }
  }
}
