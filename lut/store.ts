/**
 * Reading, writing and incrementally filling LUT files.
 *
 * Every write is atomic (temporary file in the same directory, fsync, rename), and LutStore writes
 * after every entry, so a profiling run killed at any instant leaves the previous complete file and
 * loses at most the entry being measured.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DeviceInfo, LatencyStats, TimingProtocol } from '../devices/types.js';
import { removeStaleTemporaries, writeFileAtomic } from '../src/core/atomic-file.js';
import { oneLine, UserError } from '../src/core/errors.js';
import { withLock } from '../src/core/file-lock.js';
import { deviceDifferences, identityText, protocolDifferences } from './compare.js';
import { LUT_FORMAT, LUT_VERSION, type Lut, type LutEntry } from './format.js';
import { settingsFlags } from './settings-flags.js';
import { validateLut } from './validate.js';

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

/** Reads and validates a LUT file; every problem is a UserError that names the file. */
export function readLut(file: string): Lut {
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
  return parseLut(text, `LUT file ${file}`);
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
    return updated;
  });
}

/**
 * A LUT file being filled. Opening checks that an existing file was measured with the same device
 * settings and protocol; `put` persists every entry as soon as it is measured.
 */
export class LutStore {
  private lut?: Lut;

  private constructor(
    readonly file: string,
    private readonly device: DeviceInfo,
    private readonly protocol: TimingProtocol,
    existing: Lut | undefined,
    /** --force: the first write replaces what the file holds instead of merging with it. */
    private replace: boolean,
  ) {
    this.lut = existing;
    if (existing) this.written = fileStamp(file);
  }

  /** size/mtime/inode of the file as this store last wrote or read it: unchanged means nobody else wrote. */
  private written?: string;

  /** Opens `file` for profiling with `device`/`protocol`; `force` starts a new LUT over an incompatible one. */
  static open(file: string, device: DeviceInfo, protocol: TimingProtocol, options: { force?: boolean } = {}): LutStore {
    removeStaleTemporaries(file);
    let existing: Lut | undefined;
    if (!options.force && exists(file)) {
      existing = readLut(file);
      const diffs = [...deviceDifferences(existing.device, device, ['LUT', 'now']), ...protocolDifferences(existing.protocol, protocol, ['LUT', 'now'])];
      if (diffs.length)
        throw new UserError(`LUT file ${file} was measured under other settings than this run: ${diffs.join('; ')}`, {
          hint: `run with the LUT's settings: ${settingsFlags(existing.device, existing.protocol)} (nas profile can instead write another --out file, or --force a new LUT in its place)`,
        });
      // The device info may carry new warnings or a newer Node version: keep the LUT's record of who measured it.
    }
    return new LutStore(file, device, protocol, existing, options.force === true);
  }

  /** The LUT's id, once it exists (after setOverhead or when resuming). */
  get id(): string | undefined {
    return this.lut?.id;
  }

  get overhead(): LatencyStats | undefined {
    return this.lut?.overhead;
  }

  /** Sets the per-session overhead, creating the LUT (and its file) if this is a new one. */
  setOverhead(stats: LatencyStats): void {
    if (this.lut) this.lut.overhead = stats;
    else this.lut = createLut(this.device, this.protocol, stats);
    this.save();
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

  /** Stores one entry and writes the file before returning. */
  put(key: string, entry: LutEntry): void {
    const lut = this.require('put');
    lut.entries[key] = entry;
    if (lut.unsupported) delete lut.unsupported[key];
    this.save();
  }

  /** Records that the device cannot run `key` and why. */
  markUnsupported(key: string, reason: string): void {
    const lut = this.require('markUnsupported');
    if (lut.unsupported?.[key] === reason) return;
    lut.unsupported = { ...lut.unsupported, [key]: reason };
    this.save();
  }

  /** Notes a space this LUT was filled for (informational). */
  addSpace(label: string): void {
    const lut = this.require('addSpace');
    if (lut.spaces.includes(label)) return;
    lut.spaces.push(label);
    this.save();
  }

  private require(what: string): Lut {
    if (!this.lut) throw new Error(`LutStore.${what}: set the overhead first (a LUT cannot exist without it)`);
    return this.lut;
  }

  /**
   * Writes the LUT under the file's lock, first taking in what another process added to the file since
   * this store last wrote it (two runs filling one LUT both keep their entries; neither measures what the
   * other already has once it has seen it).
   */
  private save(): void {
    const lut = this.lut!;
    lut.updatedAt = new Date().toISOString();
    withLock(this.file, 'LUT file', () => {
      if (!this.replace) this.takeInOthers(lut);
      writeLut(this.file, lut);
      this.written = fileStamp(this.file);
    });
    this.replace = false;
  }

  private takeInOthers(lut: Lut): void {
    const stamp = fileStamp(this.file);
    if (stamp === undefined || stamp === this.written) return;
    let disk: Lut;
    try {
      disk = readLut(this.file);
    } catch {
      return; // not a LUT (any more): nothing measured to keep
    }
    if (disk.id !== lut.id) {
      const side = `${this.file}.${process.pid}.lut.json`;
      writeLut(side, lut);
      throw new UserError(`LUT file ${this.file} was replaced by a LUT of other settings (${disk.id}) while this run was adding to it (${lut.id})`, {
        hint: `this run's ${Object.keys(lut.entries).length} entries are saved in ${side}`,
      });
    }
    for (const [key, entry] of Object.entries(disk.entries)) if (!Object.hasOwn(lut.entries, key)) lut.entries[key] = entry;
    for (const [key, reason] of Object.entries(disk.unsupported ?? {}))
      if (!Object.hasOwn(lut.entries, key) && !Object.hasOwn(lut.unsupported ?? {}, key)) lut.unsupported = { ...lut.unsupported, [key]: reason };
    for (const space of disk.spaces) if (!lut.spaces.includes(space)) lut.spaces.push(space);
    if (disk.calibration && !lut.calibration) lut.calibration = disk.calibration;
  }
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
