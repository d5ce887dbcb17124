/**
 * The rounds of entries a profiling run (src/profile/profiler.ts, src/onnx/profile-units.ts) has started but not finished, kept beside the LUT
 * (`<lut>.rounds.json`) so that a run killed between an entry's first and last round loses only the round
 * in flight. The file names the LUT id it belongs to; a file of another LUT (other device settings or
 * protocol) is ignored and replaced. Every round is appended to the file's journal
 * (`<lut>.rounds.json.journal`, lut/journal.ts: one fsynced line per change), which is folded into the
 * file (atomically rewritten) every few dozen changes, a quarter of the entries in flight at least, and
 * by close(): rewriting the file after every round cost O(entries in flight) per round, quadratic in
 * the LUT's size. The files are removed when a run finishes every entry.
 */
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../src/core/atomic-file.js';
import type { RoundRecord } from '../devices/rounds.js';
import { appendJournal, contentHash, journalHeader, journalPath, readJournal, removeJournal } from './journal.js';

interface PartialFile {
  lutId: string;
  rounds: Record<string, RoundRecord[]>;
}

/** One journal line: an entry's rounds so far, or an entry finished. */
type RoundsRecord = { set: string; rounds: RoundRecord[] } | { delete: string };

/** Fold when the journal holds this many changes, or a quarter of the entries in flight if more. */
const FOLD_MIN = 64;

export class PartialRounds {
  private journalBytes = 0;
  private pending = 0;

  private constructor(
    readonly file: string,
    private readonly data: PartialFile,
    /** contentHash of the file's bytes (of '' when there is none): the base of its journal. */
    private base: string,
  ) {}

  static pathFor(lutPath: string): string {
    return `${lutPath}.rounds.json`;
  }

  static open(lutPath: string, lutId: string): PartialRounds {
    const file = PartialRounds.pathFor(lutPath);
    let data: PartialFile = { lutId, rounds: {} };
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
      const read = JSON.parse(text) as PartialFile;
      if (read && read.lutId === lutId && read.rounds && typeof read.rounds === 'object' && Object.values(read.rounds).every(isRounds))
        data = { lutId, rounds: read.rounds };
    } catch {
      // none, unreadable or from an older tool: start without
    }
    const kept = new PartialRounds(file, data, contentHash(text));
    let tail;
    try {
      tail = readJournal(journalPath(file));
    } catch {
      tail = undefined; // damaged: the rounds in it are measured again
    }
    const records = tail?.records.filter(isRecord);
    if (tail && records && tail.header?.of === lutId && tail.header.base === kept.base && records.length === tail.records.length) {
      for (const r of records) kept.apply(r);
      kept.journalBytes = tail.end;
      kept.pending = records.length;
    } else removeJournal(journalPath(file)); // of another LUT or other content: appending to it would mix them
    return kept;
  }

  get(key: string): RoundRecord[] | undefined {
    return Object.hasOwn(this.data.rounds, key) ? this.data.rounds[key] : undefined;
  }

  all(): Map<string, RoundRecord[]> {
    return new Map(Object.entries(this.data.rounds));
  }

  set(key: string, rounds: readonly RoundRecord[]): void {
    this.change({ set: key, rounds: [...rounds] });
  }

  delete(key: string): void {
    if (!Object.hasOwn(this.data.rounds, key)) return;
    this.change({ delete: key });
  }

  /** Folds the journal into the file (a run that stops with entries unfinished). */
  close(): void {
    if (this.pending) this.fold();
  }

  /** Removes the file and its journal (every entry finished). */
  remove(): void {
    rmSync(this.file, { force: true });
    removeJournal(journalPath(this.file));
  }

  private apply(r: RoundsRecord): void {
    if ('set' in r) this.data.rounds[r.set] = r.rounds;
    else delete this.data.rounds[r.delete];
  }

  /** Durable like the LUT itself: a full disk is an I/O error (exit 74) that leaves no partial line nor temporary file. */
  private change(r: RoundsRecord): void {
    this.apply(r);
    this.journalBytes = appendJournal(journalPath(this.file), journalHeader(this.data.lutId, this.base), [r], `rounds file ${this.file}`, this.journalBytes);
    this.pending++;
    if (this.pending >= Math.max(FOLD_MIN, Object.keys(this.data.rounds).length / 4)) this.fold();
  }

  private fold(): void {
    const text = JSON.stringify(this.data);
    writeFileAtomic(this.file, text, `rounds file ${this.file}`);
    this.base = contentHash(text);
    removeJournal(journalPath(this.file));
    this.journalBytes = 0;
    this.pending = 0;
  }
}

function isRounds(x: unknown): x is RoundRecord[] {
  return Array.isArray(x) && x.every((r) => r && typeof r === 'object' && typeof r.stats?.median === 'number' && Array.isArray(r.stats?.ci95));
}

function isRecord(x: unknown): x is RoundsRecord {
  const r = x as Record<string, unknown>;
  return !!r && typeof r === 'object' && ((typeof r.set === 'string' && isRounds(r.rounds)) || typeof r.delete === 'string');
}
