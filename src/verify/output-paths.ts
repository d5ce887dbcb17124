/**
 * Output files of a verification (report, CSV, state) are checked before anything is measured: a typo
 * in --report must not cost a device session. Written files are created with their folders.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import path from 'node:path';
import { UserError } from '../core/errors.js';

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  // mkdir -p through a regular file fails with EEXIST, opening a file below one with ENOTDIR.
  if (code === 'ENOTDIR' || code === 'EEXIST') return 'a parent of it is a file, not a folder';
  if (code === 'EROFS') return 'read-only file system';
  return code ?? (e as Error).message;
}

/** Throws a UserError naming `flag` when `file` cannot be written (creating its folder if needed). */
export function checkWritable(file: string, flag: string): void {
  const fail = (why: string) => new UserError(`cannot write ${flag} ${file}: ${why}`, { hint: `choose a writable path for ${flag}` });
  const dir = path.dirname(path.resolve(file));
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw fail(reason(e));
  }
  let stat;
  try {
    stat = statSync(file);
  } catch {
    return; // does not exist yet, and its folder is writable
  }
  if (stat.isDirectory()) throw fail('it is a directory');
  try {
    accessSync(file, constants.W_OK);
  } catch (e) {
    throw fail(reason(e));
  }
}

export function writeOutputFile(file: string, text: string, flag: string): void {
  writeFileAtomic(file, text, `${flag} ${file}`, {
    hint: `free some space or choose a writable path for ${flag}; the measurements are kept in the state file, so running again writes it without measuring`,
  });
}
