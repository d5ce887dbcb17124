/**
 * The rounds of entries a profiling run has started but not finished, kept beside the LUT
 * (`<lut>.rounds.json`) so that a run killed between an entry's first and last round loses only the round
 * in flight. The file names the LUT id it belongs to; a file of another LUT (other device settings or
 * protocol) is ignored and replaced. Written atomically (temporary file, rename) after every round, and
 * removed when a run finishes every entry. Not fsynced: losing it in a power cut costs rounds, not entries.
 */
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import type { RoundRecord } from '../../devices/rounds.js';

interface PartialFile {
  lutId: string;
  rounds: Record<string, RoundRecord[]>;
}

export class PartialRounds {
  private constructor(
    readonly file: string,
    private readonly data: PartialFile,
  ) {}

  static pathFor(lutPath: string): string {
    return `${lutPath}.rounds.json`;
  }

  static open(lutPath: string, lutId: string): PartialRounds {
    const file = PartialRounds.pathFor(lutPath);
    let data: PartialFile = { lutId, rounds: {} };
    try {
      const read = JSON.parse(readFileSync(file, 'utf8')) as PartialFile;
      if (read && read.lutId === lutId && read.rounds && typeof read.rounds === 'object' && Object.values(read.rounds).every(isRounds))
        data = { lutId, rounds: read.rounds };
    } catch {
      // none, unreadable or from an older tool: start without
    }
    return new PartialRounds(file, data);
  }

  get(key: string): RoundRecord[] | undefined {
    return Object.hasOwn(this.data.rounds, key) ? this.data.rounds[key] : undefined;
  }

  all(): Map<string, RoundRecord[]> {
    return new Map(Object.entries(this.data.rounds));
  }

  set(key: string, rounds: readonly RoundRecord[]): void {
    this.data.rounds[key] = [...rounds];
    this.save();
  }

  delete(key: string): void {
    if (!Object.hasOwn(this.data.rounds, key)) return;
    delete this.data.rounds[key];
    this.save();
  }

  /** Removes the file (every entry finished). */
  remove(): void {
    rmSync(this.file, { force: true });
  }

  /** Atomic and durable like the LUT itself: a full disk is an I/O error (exit 74) that leaves no temporary file. */
  private save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.data), `rounds file ${this.file}`);
  }
}

function isRounds(x: unknown): x is RoundRecord[] {
  return Array.isArray(x) && x.every((r) => r && typeof r === 'object' && typeof r.stats?.median === 'number' && Array.isArray(r.stats?.ci95));
}
