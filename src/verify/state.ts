/**
 * Measurements of a verification, saved after every network ("hw-nas-verify-state", version 1), so a
 * device that dies mid-verify loses nothing and running the same command again measures only what is
 * missing. Default path: the front file with `.verify.json` for `.json` (front.json → front.verify.json).
 *
 * One file can hold several measurement settings (device + options + protocol, identified like a LUT
 * id, with the timing reference's R when there is one: settingId), so verifying the same front on another
 * device or protocol never mixes figures. Within a setting a result is keyed by member name and reused
 * only while the architecture is the same (its digest).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import type { Architecture } from '../core/arch.js';
import { readJsonFile } from '../core/arch-file.js';
import { UserError } from '../core/errors.js';
import type { DeviceInfo, Measurement, TimingProtocol } from '../../devices/types.js';
import { stableStringify } from '../../lut/compare.js';
import { lutId } from '../../lut/store.js';

export const STATE_FORMAT = 'hw-nas-verify-state';
export const STATE_VERSION = 1;

export interface SavedMeasurement extends Measurement {
  digest: string;
}

interface SettingRuns {
  device: DeviceInfo;
  protocol: TimingProtocol;
  results: Record<string, SavedMeasurement>;
}

interface StateDoc {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  settings: Record<string, SettingRuns>;
}

export function defaultStatePath(frontPath: string): string {
  return /\.json$/i.test(frontPath) ? frontPath.replace(/\.json$/i, '.verify.json') : `${frontPath}.verify.json`;
}

/** What identifies an architecture for reuse: everything that is exported, not its name. */
export function archDigest(arch: Architecture): string {
  return createHash('sha256')
    .update(stableStringify({ input: arch.input, dtype: arch.dtype, layers: arch.layers }))
    .digest('hex')
    .slice(0, 16);
}

/**
 * The id of a measurement setting: the LUT id of (device, protocol), and, with a timing reference, the R and
 * β the nets were scaled to (protocol.referenceMs, referenceSlope: records of a LUT, left out of its id: the
 * same protocol on another day measures another R). A figure scaled to one R is not a figure in another, so
 * a LUT profiled again with a new R gets its nets measured again, not the ones scaled to the old R.
 */
export function settingId(device: DeviceInfo, protocol: TimingProtocol): string {
  // The members' own rounds (protocol.netRounds: left out of the LUT id, which says what the entries mean).
  const id = `${lutId(device, protocol)}${protocol.netRounds !== undefined ? `-n${protocol.netRounds}` : ''}`;
  if (protocol.reference === undefined || protocol.referenceMs === undefined) return id;
  return `${id}-R${protocol.referenceMs}${protocol.referenceSlope !== undefined ? `-b${protocol.referenceSlope}` : ''}`;
}

export class VerifyState {
  private readonly doc: StateDoc;
  private readonly runs: SettingRuns;

  private constructor(
    readonly path: string,
    doc: StateDoc,
    readonly settingId: string,
    device: DeviceInfo,
    protocol: TimingProtocol,
  ) {
    this.doc = doc;
    doc.settings[settingId] ??= { device, protocol, results: {} };
    this.runs = doc.settings[settingId];
  }

  /** Opens (or starts) the state at `file` for measurements made with `device` under `protocol`. */
  static open(file: string, device: DeviceInfo, protocol: TimingProtocol): VerifyState {
    const doc = existsSync(file) ? readState(file) : { format: STATE_FORMAT, version: STATE_VERSION, settings: {} };
    return new VerifyState(file, doc as StateDoc, settingId(device, protocol), device, protocol);
  }

  /** The saved measurement of `name`, if it was made on this architecture. */
  get(name: string, digest: string): SavedMeasurement | undefined {
    const saved = this.runs.results[name];
    return saved?.digest === digest ? saved : undefined;
  }

  /** Records one measurement and writes the file at once (atomically). */
  put(name: string, measurement: SavedMeasurement): void {
    this.runs.results[name] = measurement;
    this.save();
  }

  save(): void {
    writeFileAtomic(this.path, JSON.stringify(this.doc, null, 1) + '\n', `the verify state ${this.path}`);
  }
}

function readState(file: string): StateDoc {
  const hint = `delete ${file} to measure again, or give another --state`;
  let doc: Record<string, unknown>;
  try {
    doc = readJsonFile(file, 'verify state') as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`verify state ${file} is unreadable: ${(e as Error).message}`, { hint, cause: e });
  }
  const settings = doc?.settings;
  if (doc?.format !== STATE_FORMAT || doc.version !== STATE_VERSION || typeof settings !== 'object' || settings === null || Array.isArray(settings))
    throw new UserError(`verify state ${file} is not a "${STATE_FORMAT}" version ${STATE_VERSION} document`, { hint });
  for (const [id, run] of Object.entries(settings as Record<string, unknown>)) {
    const r = run as Partial<SettingRuns> | null;
    if (!r || typeof r.results !== 'object' || r.results === null || typeof r.device !== 'object' || typeof r.protocol !== 'object')
      throw new UserError(`verify state ${file}: setting ${id} must hold "device", "protocol" and "results"`, { hint });
    for (const [name, m] of Object.entries(r.results))
      if (typeof m?.digest !== 'string' || typeof m.stats?.median !== 'number' || !Array.isArray(m.stats.ci95))
        throw new UserError(`verify state ${file}: result for '${name}' is malformed`, { hint });
  }
  return doc as unknown as StateDoc;
}
