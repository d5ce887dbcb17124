/**
 * Reading, writing and incrementally filling LUT files.
 *
 * Every write of a LUT file is atomic (temporary file in the same directory, fsync, rename). LutStore
 * appends every entry to the LUT's journal before returning and folds the journal into the file now and
 * then, so a profiling run killed at any instant leaves a complete file plus a journal that readLut reads
 * with it, and loses at most the entry being measured.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CpuPlacement, DeviceInfo, LatencyStats, TimingProtocol } from '../devices/types.js';
import type { RoundedResult } from '../devices/rounds.js';
import { removeStaleTemporaries, writeFileAtomic } from '../src/core/atomic-file.js';
import { oneLine, UserError } from '../src/core/errors.js';
import { withLock } from '../src/core/file-lock.js';
import { deviceDifferences, identityText, protocolDifferences, stableStringify } from './compare.js';
import { netOf } from './entry.js';
import { LUT_FORMAT, LUT_VERSION, type Lut, type LutEntry } from './format.js';
import { rescaleLut } from './reference.js';
import { settingsFlags } from './settings-flags.js';
import { validateLut } from './validate.js';
import { appendJournal, contentHash, journalHeader, journalPath, journalSize, readJournal, removeJournal } from './journal.js';

/** Stable short id of a (device settings, protocol) pair, e.g. "ort-cpu-3f2a9c1b". */
export function lutId(device: DeviceInfo, protocol: TimingProtocol): string {
  const hash = createHash('sha256').update(identityText(device, protocol)).digest('hex').slice(0, 8);
  return `${device.device}-${hash}`;
}

/** A new, empty LUT; it holds copies of its arguments, so later changes to them do not leak in. */
export function createLut(device: DeviceInfo, protocol: TimingProtocol, overhead: LatencyStats): Lut {
  const now = new Date().toISOString();
  return {
    format: LUT_FORMAT,
    version: LUT_VERSION,
    id: lutId(device, protocol),
    createdAt: now,
    updatedAt: now,
    device: structuredClone(device),
    protocol: { ...protocol },
    overhead: structuredClone(overhead),
    spaces: [],
    entries: {},
  };
}

/**
 * Reads and validates a LUT file, with the entries its journal (`<file>.journal`, written while the LUT
 * is being filled) adds; every problem is a UserError that names the file.
 */
export function readLut(file: string): Lut {
  return readLutFile(file).lut;
}

/** readLut, plus the hash of the file's bytes (the base of its journal) and whether a journal was there. */
function readLutFile(file: string): { lut: Lut; base: string; journal: boolean } {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new UserError(`LUT path ${file} is a directory; give the path of a LUT file (e.g. ${path.join(file, 'cpu.lut.json')})`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(`LUT file ${file} does not exist`, { hint: `create it by profiling the device and space you need, e.g.: nas profile --device cpu --space nb201 --out ${file}` });
    throw new UserError(`cannot read LUT file ${file}: ${(e as Error).message}`, { cause: e });
  }
  const lut = parseLut(text, `LUT file ${file}`);
  const base = contentHash(text);
  const journal = journalPath(file);
  const tail = readJournal(journal);
  if (!tail) return { lut, base, journal: false };
  // A journal of other content (the LUT was rewritten after it, or it belongs to another LUT) adds nothing.
  if (tail.header?.of !== lut.id || tail.header.base !== base) return { lut, base, journal: true };
  for (const record of tail.records) applyRecord(lut, checkRecord(record, journal));
  return { lut: validateLut(lut, `LUT file ${file} with its journal ${journal}`), base, journal: true };
}

/** Parses and validates the text of a LUT; `source` names it in errors ("LUT file x.json"). */
export function parseLut(text: string, source: string): Lut {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${source} is not valid JSON: ${oneLine((e as Error).message)}`);
  }
  return validateLut(data, source);
}

/** JSON with one line per entry: readable, and a re-profiled entry shows as a one-line diff. Entries sorted by key. */
export function serializeLut(lut: Lut): string {
  const lines = (record: Record<string, unknown>) =>
    Object.keys(record)
      .sort()
      .map((k) => `    ${JSON.stringify(k)}: ${JSON.stringify(record[k])}`)
      .join(',\n');
  const marker = (name: string) => `@@${name}@@`;
  const head = { ...lut, entries: marker('entries'), ...(lut.unsupported ? { unsupported: marker('unsupported') } : {}) };
  let text = JSON.stringify(head, null, 2);
  for (const name of ['entries', 'unsupported'] as const) {
    const record = lut[name];
    if (!record) continue;
    const body = Object.keys(record).length ? `{\n${lines(record)}\n  }` : '{}';
    text = text.replace(JSON.stringify(marker(name)), () => body);
  }
  return text + '\n';
}

/** Writes `lut` to `file` atomically: readers see the old file or the new one, never a partial one. */
export function writeLut(file: string, lut: Lut): void {
  writeFileAtomic(file, serializeLut(lut), `LUT file ${file}`);
}

/**
 * Changes the LUT in `file` under its lock: re-reads it, applies `change`, writes it back, so an update
 * (calibration, a merge) never drops what another process wrote in between.
 */
export function updateLut(file: string, change: (lut: Lut) => Lut): Lut {
  return withLock(file, 'LUT file', () => {
    const updated = change(readLut(file));
    writeLut(file, updated);
    removeJournal(journalPath(file)); // what it held is in the file now
    return updated;
  });
}

/**
 * A LUT file being filled. Opening checks that an existing file was measured with the same device
 * settings and protocol; `put` persists every entry before it returns.
 *
 * Entries go to the LUT's journal (`<lut>.journal`, lut/journal.ts: one fsynced line per entry), which is
 * folded into the LUT file (an atomic rewrite) every FOLD.minRecords entries or a FOLD.fraction of the LUT,
 * whichever is more, at least every FOLD.intervalMs, and by close(). So filling a LUT of n entries
 * rewrites it O(log n + run time / interval) times instead of n times, and a run killed at any instant
 * loses nothing it stored: readLut and the next open read the journal too (open folds it).
 */
export class LutStore {
  private lut?: Lut;
  /** size/mtime/inode of the LUT file as this store last wrote or read it: unchanged means nobody else rewrote it. */
  private written?: string;
  /** contentHash of the LUT file's bytes as last written or read: the base of its journal. */
  private base = '';
  /** Bytes of the journal this store has taken in (its own records and other processes'). */
  private journalBytes = 0;
  /** Records in the journal that the LUT file does not hold yet. */
  private pending = 0;
  private foldedAt = Date.now();
  /** Before the LUT exists: its R, given to useReferenceScale, is provisional. */
  private provisionalReference = false;

  private constructor(
    readonly file: string,
    private readonly device: DeviceInfo,
    private protocol: TimingProtocol,
    /** --force: the first write replaces what the file holds instead of merging with it. */
    private replace: boolean,
  ) {}

  /** Opens `file` for profiling with `device`/`protocol`; `force` starts a new LUT over an incompatible one. */
  static open(file: string, device: DeviceInfo, protocol: TimingProtocol, options: { force?: boolean } = {}): LutStore {
    removeStaleTemporaries(file);
    removeStaleTemporaries(journalPath(file));
    const store = new LutStore(file, device, protocol, options.force === true);
    if (options.force || !exists(file)) return store;
    withLock(file, 'LUT file', () => {
      const disk = readLutFile(file);
      const diffs = [...deviceDifferences(disk.lut.device, device, ['LUT', 'now']), ...protocolDifferences(disk.lut.protocol, protocol, ['LUT', 'now'])];
      if (diffs.length)
        throw new UserError(`LUT file ${file} was measured under other settings than this run: ${diffs.join('; ')}`, {
          hint: `run with the LUT's settings: ${settingsFlags(disk.lut.device, disk.lut.protocol)} (nas profile can instead write another --out file, or --force a new LUT in its place)`,
        });
      // The device info may carry new warnings or a newer Node version: keep the LUT's record of who measured it.
      store.lut = disk.lut;
      store.written = fileStamp(file);
      store.base = disk.base;
      // What a killed run left in the journal goes into the file now; a journal of other content goes away.
      if (disk.journal) store.fold();
    });
    return store;
  }

  /** The LUT's id, once it exists (after setOverhead or when resuming). */
  get id(): string | undefined {
    return this.lut?.id;
  }

  get overhead(): LatencyStats | undefined {
    return this.lut?.overhead;
  }

  /**
   * Sets the per-session overhead, creating the LUT (and its file) if this is a new one: then the overhead is the
   * figure timed alone before the entries, provisional until the run adopts the one timed in its passes
   * (lut/overhead.ts).
   */
  setOverhead(stats: LatencyStats): void {
    if (this.lut) this.lut.overhead = stats;
    else {
      this.lut = createLut(this.device, this.protocol, stats);
      this.lut.overheadProvisional = true;
      if (this.provisionalReference) this.lut.referenceProvisional = true;
    }
    this.commit();
  }

  /** Whether the LUT's overhead is still the one timed alone before its first run's entries (Lut.overheadProvisional). */
  get overheadProvisional(): boolean {
    return this.lut?.overheadProvisional === true;
  }

  /** Keys of the entries whose net still awaits the overhead of the run that measured them (LutEntry.overheadOwed). */
  owedEntries(): string[] {
    return Object.entries(this.lut?.entries ?? {})
      .filter(([, e]) => e.overheadOwed)
      .map(([k]) => k);
  }

  /**
   * Makes `stats` the LUT's overhead (the figure timed in the passes of the run that completes its first run) and
   * recomputes, in one write, the `net` of every entry net of the LUT's overhead (stats.median − overhead, clamped
   * at 0) and of the owed entries `owed` (they are then net of it too); entries net of their own run's overhead
   * (LutEntry.overheadMs) are left as they are. The overhead is final from then on (lut/overhead.ts).
   */
  adoptOverhead(stats: LatencyStats, owed: Iterable<string> = []): void {
    const lut = this.require('adoptOverhead');
    lut.overhead = stats;
    delete lut.overheadProvisional;
    const settle = new Set(owed);
    for (const [key, entry] of Object.entries(lut.entries)) {
      if (entry.overheadMs !== undefined && !settle.has(key)) continue;
      delete entry.overheadMs;
      delete entry.overheadOwed;
      entry.net = netOf(entry.stats.median, stats.median);
    }
    this.commit();
  }

  /**
   * Settles the owed entries `keys` (LutEntry.overheadOwed) of a run that added them to a LUT whose overhead is
   * final: each becomes net of `stats` (the overhead timed in that run's passes) and records it; the LUT's overhead
   * and every other entry are left as they are. Returns how many entries it settled.
   */
  settleOwed(keys: Iterable<string>, stats: LatencyStats): number {
    const lut = this.require('settleOwed');
    let settled = 0;
    for (const key of new Set(keys)) {
      const entry = Object.hasOwn(lut.entries, key) ? lut.entries[key] : undefined;
      if (!entry?.overheadOwed) continue;
      delete entry.overheadOwed;
      entry.overheadMs = stats.median;
      entry.net = netOf(entry.stats.median, stats.median);
      settled++;
    }
    if (settled) this.commit();
    return settled;
  }

  /** The LUT's reference scale R (protocol.referenceMs, devices/reference.ts); undefined without a reference or before the LUT exists. */
  get referenceMs(): number | undefined {
    return this.lut?.protocol.referenceMs;
  }

  /** The LUT's reference slope β (protocol.referenceSlope); undefined where it has none (1 for a LUT with R). */
  get referenceSlope(): number | undefined {
    return this.lut?.protocol.referenceSlope;
  }

  /**
   * The reference scale R this run's rounds use: recorded in the LUT's protocol when it has none yet (a new
   * LUT is created with it); a LUT that has one keeps its own.
   */
  useReferenceScale(referenceMs: number, provisional = false, slope?: number): void {
    const scale = { referenceMs, ...(slope !== undefined ? { referenceSlope: slope } : {}) };
    if (!this.lut) {
      this.protocol = { ...this.protocol, ...scale };
      this.provisionalReference = provisional;
      return;
    }
    if (this.lut.protocol.referenceMs !== undefined) return;
    this.lut.protocol = { ...this.lut.protocol, ...scale };
    if (provisional) this.lut.referenceProvisional = true;
    this.commit();
  }

  /**
   * Whether the LUT's R is still the provisional one measured before the first round of the run that created
   * it (lut/reference.ts): true until a run completes and adopts R from its rounds, so a run interrupted before
   * that leaves the LUT marked and the run that resumes it adopts R at its end.
   */
  get referenceProvisional(): boolean {
    return this.lut ? this.lut.referenceProvisional === true : this.provisionalReference;
  }

  /**
   * Sets R (and β, with `o.slope`) and multiplies every latency of the LUT by `factor`, the entries of
   * `o.rescored` taking those figures instead (lut/reference.ts, rescaleLut), in one
   * write: the end of the run that created the LUT (or completed one whose R was still provisional) adopts
   * the R of its rounds; R is final from then on.
   */
  rescaleReference(referenceMs: number, factor: number, o: { slope?: number; rescored?: ReadonlyMap<string, RoundedResult> } = {}): void {
    const lut = this.require('rescaleReference');
    const { referenceProvisional: _, ...rest } = rescaleLut(lut, referenceMs, factor, o);
    this.lut = rest;
    this.commit();
  }

  /**
   * Records where this run's rounds were pinned (protocol.placement, devices/pin.ts): a record of the
   * run, not part of the LUT's id; the file is rewritten when it changes.
   */
  setPlacement(placement: CpuPlacement): void {
    const lut = this.require('setPlacement');
    if (stableStringify(lut.protocol.placement) === stableStringify(placement)) return;
    lut.protocol = { ...lut.protocol, placement: structuredClone(placement) };
    this.commit();
  }

  has(key: string): boolean {
    return this.lut !== undefined && Object.hasOwn(this.lut.entries, key);
  }

  get(key: string): LutEntry | undefined {
    return this.has(key) ? this.lut!.entries[key] : undefined;
  }

  get size(): number {
    return this.lut ? Object.keys(this.lut.entries).length : 0;
  }

  /** Stores one entry; it is on disk (journal or LUT file) before this returns. */
  put(key: string, entry: LutEntry): void {
    applyRecord(this.require('put'), { entry: key, value: entry });
    this.commit({ entry: key, value: entry });
  }

  /** Why the device cannot run `key`, when the LUT records that it cannot. */
  unsupportedReason(key: string): string | undefined {
    return this.lut?.unsupported !== undefined && Object.hasOwn(this.lut.unsupported, key) ? this.lut.unsupported[key] : undefined;
  }

  /** Records that the device cannot run `key` and why. */
  markUnsupported(key: string, reason: string): void {
    const lut = this.require('markUnsupported');
    if (lut.unsupported?.[key] === reason) return;
    applyRecord(lut, { unsupported: key, reason });
    this.commit({ unsupported: key, reason });
  }

  /** Notes a space this LUT was filled for (informational). */
  addSpace(label: string): void {
    const lut = this.require('addSpace');
    if (lut.spaces.includes(label)) return;
    applyRecord(lut, { space: label });
    this.commit({ space: label });
  }

  /** Folds the journal into the LUT file, leaving the LUT file complete on its own. Call when done filling. */
  close(): void {
    if (!this.lut) return;
    withLock(this.file, 'LUT file', () => {
      this.takeInOthers();
      if (this.pending || journalSize(journalPath(this.file))) this.fold();
    });
  }

  private require(what: string): Lut {
    if (!this.lut) throw new Error(`LutStore.${what}: set the overhead first (a LUT cannot exist without it)`);
    return this.lut;
  }

  /**
   * Persists `record` (already applied to this.lut) under the file's lock, first taking in what another
   * process added since this store last looked (two runs filling one LUT both keep their entries; neither
   * measures what the other already has once it has seen it). Without a record, or when the LUT file was
   * rewritten by someone else, the whole LUT is written.
   */
  private commit(record?: JournalRecord): void {
    withLock(this.file, 'LUT file', () => {
      const mustFold = this.replace || !record || this.takeInOthers();
      if (!mustFold) {
        this.journalBytes = appendJournal(journalPath(this.file), journalHeader(this.lut!.id, this.base), [record], `LUT file ${this.file}`, this.journalBytes);
        this.pending++;
      }
      if (mustFold || this.foldDue()) this.fold();
    });
  }

  private foldDue(): boolean {
    if (!this.pending) return false;
    return this.pending >= Math.max(FOLD.minRecords, FOLD.fraction * this.size) || Date.now() - this.foldedAt >= FOLD.intervalMs;
  }

  /** Writes the whole LUT atomically, then drops the journal it now holds. */
  private fold(): void {
    const lut = this.lut!;
    lut.updatedAt = new Date().toISOString();
    const text = serializeLut(lut);
    writeFileAtomic(this.file, text, `LUT file ${this.file}`);
    this.written = fileStamp(this.file);
    this.base = contentHash(text);
    removeJournal(journalPath(this.file));
    this.journalBytes = 0;
    this.pending = 0;
    this.foldedAt = Date.now();
    this.replace = false;
  }

  /**
   * Takes in what other processes wrote since this store last looked: their journal lines, or, when the
   * LUT file itself was rewritten, the file and its journal. True when the LUT file must be rewritten
   * (it changed under this store, or its journal no longer extends it).
   */
  private takeInOthers(): boolean {
    if (this.replace) return true;
    const lut = this.lut!;
    if (fileStamp(this.file) !== this.written) {
      let disk: Lut;
      try {
        disk = readLutFile(this.file).lut;
      } catch {
        return true; // gone, or not a LUT (any more): nothing measured to keep
      }
      if (disk.id !== lut.id) {
        const side = `${this.file}.${process.pid}.lut.json`;
        writeLut(side, lut);
        throw new UserError(`LUT file ${this.file} was replaced by a LUT of other settings (${disk.id}) while this run was adding to it (${lut.id})`, {
          hint: `this run's ${Object.keys(lut.entries).length} entries are saved in ${side}`,
        });
      }
      takeIn(lut, disk);
      return true;
    }
    const journal = journalPath(this.file);
    const size = journalSize(journal);
    if (size === this.journalBytes) return false;
    if (size < this.journalBytes) return true; // removed or cut by someone else: write everything known
    const tail = readJournal(journal, this.journalBytes);
    if (!tail || (this.journalBytes === 0 && (tail.header?.of !== lut.id || tail.header.base !== this.base))) return true; // a journal of other content
    const theirs: Pick<Lut, 'entries' | 'unsupported' | 'spaces'> = { entries: {}, spaces: [] };
    for (const record of tail.records) applyRecord(theirs, checkRecord(record, journal));
    takeIn(lut, theirs);
    this.journalBytes = tail.end;
    this.pending += tail.records.length;
    return false;
  }
}

/** How often LutStore folds its journal into the LUT file (see LutStore). */
export const FOLD = { minRecords: 64, fraction: 0.25, intervalMs: 10_000 };

/** One journal line of a LUT: an entry stored, a key marked unsupported, a space noted. */
export type JournalRecord = { entry: string; value: LutEntry } | { unsupported: string; reason: string } | { space: string };

/** Applies one record to `lut`, as the LutStore method that wrote it did. */
function applyRecord(lut: Pick<Lut, 'entries' | 'unsupported' | 'spaces'>, record: JournalRecord): void {
  if ('entry' in record) {
    lut.entries[record.entry] = record.value;
    if (lut.unsupported) delete lut.unsupported[record.entry];
  } else if ('unsupported' in record) lut.unsupported = { ...lut.unsupported, [record.unsupported]: record.reason };
  else if (!lut.spaces.includes(record.space)) lut.spaces.push(record.space);
}

/** A journal line as a record (its entry is checked with the whole LUT, after applying). */
function checkRecord(x: unknown, journal: string): JournalRecord {
  const r = x as Record<string, unknown>;
  const ok =
    !!r &&
    typeof r === 'object' &&
    ((typeof r.entry === 'string' && !!r.value && typeof r.value === 'object') || (typeof r.unsupported === 'string' && typeof r.reason === 'string') || typeof r.space === 'string');
  if (!ok) throw new UserError(`journal ${journal} holds a line that is not a LUT record: ${JSON.stringify(x).slice(0, 120)}`, { hint: 'delete it to keep only what the LUT file holds' });
  return r as JournalRecord;
}

/** Adds to `lut` what `other` holds and it does not (what `lut` holds wins). */
function takeIn(lut: Lut, other: Pick<Lut, 'entries' | 'unsupported' | 'spaces' | 'calibration' | 'calibrationRefused'>): void {
  for (const [key, entry] of Object.entries(other.entries)) if (!Object.hasOwn(lut.entries, key)) lut.entries[key] = entry;
  for (const [key, reason] of Object.entries(other.unsupported ?? {}))
    if (!Object.hasOwn(lut.entries, key) && !Object.hasOwn(lut.unsupported ?? {}, key)) lut.unsupported = { ...lut.unsupported, [key]: reason };
  for (const space of other.spaces) if (!lut.spaces.includes(space)) lut.spaces.push(space);
  if (other.calibration && !lut.calibration) lut.calibration = other.calibration;
  // A refused calibration is a decision too: kept unless `lut` holds one of its own.
  if (other.calibrationRefused && !lut.calibration && !lut.calibrationRefused) lut.calibrationRefused = other.calibrationRefused;
}

function fileStamp(file: string): string | undefined {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return undefined;
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}
