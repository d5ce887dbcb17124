/**
 * Append-only journals beside a file that is filled one record at a time (a LUT, the rounds file of a
 * profiling run): `<file>.journal`, one JSON object per line. The first line is a header naming what the
 * journal belongs to (`of`, e.g. the LUT id) and the exact content it extends (`base`, a hash of the
 * file's bytes); every other line is one record. Appending a record costs one write and one fsync,
 * whatever the size of the file, where rewriting the whole file for every record costs O(file) each time.
 *
 * The owner folds the journal into its file now and then (rewrites the file atomically, then removes the
 * journal). A crash between the two leaves a journal whose `base` no longer matches the file: readers
 * ignore it, and its records are in the file already. Any other rewrite of the file (a merge, a
 * calibration) does the same, so a journal is never applied to content it was not written against.
 * A line cut short by a writer killed mid-write has no newline: readers ignore it, and the next append
 * cuts it off first.
 */
import { createHash } from 'node:crypto';
import { fstatSync, ftruncateSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fsCalls, ioError, syncDirectory, writeAll } from '../src/core/atomic-file.js';
import { oneLine, UserError } from '../src/core/errors.js';

export const JOURNAL_FORMAT = 'hw-nas-journal';
export const JOURNAL_VERSION = 1;

export interface JournalHeader {
  journal: typeof JOURNAL_FORMAT;
  version: typeof JOURNAL_VERSION;
  /** What the journal belongs to (a LUT id). */
  of: string;
  /** contentHash of the file's bytes that the records extend. */
  base: string;
}

export function journalPath(file: string): string {
  return `${file}.journal`;
}

/** 16 hex digits of the SHA-256 of `text`: identifies the exact content a journal extends. */
export function contentHash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function journalHeader(of: string, base: string): JournalHeader {
  return { journal: JOURNAL_FORMAT, version: JOURNAL_VERSION, of, base };
}

/** Complete lines of a journal read from some offset; `end` is the offset after the last complete line. */
export interface JournalTail {
  /** Present when the read started at 0 and the journal has a complete first line. */
  header?: JournalHeader;
  records: unknown[];
  end: number;
}

/** Size of the journal in bytes; 0 when there is none. */
export function journalSize(journal: string): number {
  try {
    return statSync(journal).size;
  } catch {
    return 0;
  }
}

/**
 * Reads the complete lines of `journal` from byte `offset` (0: the whole journal, header first). Undefined
 * when there is no journal. A complete line that is not JSON, or a first line that is not a journal
 * header, is a UserError naming the file (nothing this tool writes produces one).
 */
export function readJournal(journal: string, offset = 0): JournalTail | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(journal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read journal ${journal}: ${(e as Error).message}`, { cause: e });
  }
  const end = bytes.lastIndexOf(0x0a) + 1; // after the last newline; anything beyond is a cut-off line
  const tail: JournalTail = { records: [], end: Math.max(end, offset) };
  if (end <= offset) return tail;
  const lines = bytes.subarray(offset, end).toString('utf8').split('\n').slice(0, -1);
  lines.forEach((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new UserError(`journal ${journal} has a line that is not JSON (${oneLine((e as Error).message)})`, {
        hint: `it was damaged outside this tool; delete it to keep only what the file beside it holds`,
      });
    }
    if (offset === 0 && i === 0) {
      if (!isHeader(value)) throw new UserError(`journal ${journal} does not start with a ${JOURNAL_FORMAT} version ${JOURNAL_VERSION} header`, { hint: `delete it to keep only what the file beside it holds` });
      tail.header = value;
    } else tail.records.push(value);
  });
  return tail;
}

function isHeader(x: unknown): x is JournalHeader {
  const h = x as JournalHeader;
  return !!h && typeof h === 'object' && h.journal === JOURNAL_FORMAT && h.version === JOURNAL_VERSION && typeof h.of === 'string' && typeof h.base === 'string';
}

/**
 * Appends `records` to `journal` durably (written in full, fsynced) and returns the journal's new size.
 * `at` is the size the caller read up to: bytes beyond it (a line cut short by a killed writer) are cut
 * off first. An empty journal gets `header` as its first line. On any failure the journal is cut back to
 * where it was and an IoError (exit 74) about `what` is thrown, so a full disk leaves no partial line.
 */
export function appendJournal(journal: string, header: JournalHeader, records: readonly unknown[], what: string, at: number): number {
  let fd: number | undefined;
  let start: number | undefined;
  let size: number;
  try {
    fd = fsCalls.openSync(journal, 'a');
    start = Math.min(at, fstatSync(fd).size);
    if (fstatSync(fd).size > start) ftruncateSync(fd, start);
    const lines = [...(start === 0 ? [header] : []), ...records].map((r) => JSON.stringify(r)).join('\n') + '\n';
    const bytes = Buffer.from(lines, 'utf8');
    writeAll(fd, bytes);
    fsCalls.fsyncSync(fd);
    size = start + bytes.length;
  } catch (e) {
    if (fd !== undefined && start !== undefined) {
      try {
        ftruncateSync(fd, start);
      } catch {
        // the journal keeps a cut-off last line, which readers ignore
      }
    }
    throw ioError(what, e);
  } finally {
    if (fd !== undefined) fsCalls.closeSync(fd);
  }
  if (start === 0) syncDirectory(path.dirname(path.resolve(journal))); // the new journal's name must survive a crash too
  return size;
}

export function removeJournal(journal: string): void {
  rmSync(journal, { force: true });
}
