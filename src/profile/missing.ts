/**
 * Filling the LUT entries some architectures need and the LUT lacks: the path behind
 * `nas predict --profile-missing`, shared with strategies that profile as they go (netadapt).
 * The profiler writes through LutStore, so a run that dies keeps every entry measured so far and
 * the device must be the one the LUT was measured on (LutStore refuses another).
 */
import type { Architecture } from '../core/arch.js';
import type { OpInstance } from '../core/ops.js';
import { missingInstances } from '../predict/predictor.js';
import { readLut } from '../../lut/store.js';
import type { Lut } from '../../lut/format.js';
import { DEFAULT_PROTOCOL, type Device, type TimingProtocol } from '../../devices/types.js';
import { UserError } from '../core/errors.js';
import { profile, type ProfileProgress } from './profiler.js';

export interface FillMissingOptions {
  lutPath: string;
  /** The LUT as last read from lutPath. */
  lut: Lut;
  archs: readonly Architecture[];
  /** Runs `fn` on the device to measure on; called only when something is missing. */
  withDevice<T>(fn: (device: Device) => Promise<T>): Promise<T>;
  /** Protocol for a LUT that records none (the LUT's own protocol wins). */
  protocol?: TimingProtocol;
  /** One line before profiling starts, e.g. for stderr. */
  log?(message: string): void;
  onProgress?(p: ProfileProgress): void;
}

/** The instances the LUT lacks across `archs`, deduplicated by key. */
export function missingAcross(lut: Lut, archs: readonly Architecture[]): Map<string, OpInstance> {
  return new Map(archs.flatMap((arch) => missingInstances(lut, arch)).map((m) => [m.key, m.inst]));
}

/**
 * Refuses to measure into a LUT imported from a published table (`nas lut import`): its device is someone
 * else's phone, which no device here can stand in for (its settings would refuse any other device anyway,
 * with a hint naming a device that does not exist).
 */
export function refuseImportedLut(lut: Pick<Lut, 'imported' | 'device' | 'id'>, lutPath: string): void {
  if (!lut.imported) return;
  throw new UserError(
    `--profile-missing cannot measure into ${lutPath}: LUT ${lut.id} was imported from a published ${lut.imported.format} table for ${lut.device.device}, a device this machine does not have`,
    { hint: 'predict only what the table covers (without --profile-missing), or profile a LUT of a device you have (nas profile --device cpu …) and predict with that' },
  );
}

/** Measures what `archs` need and the LUT lacks; returns the LUT re-read (unchanged when nothing was missing). */
export async function fillMissing(o: FillMissingOptions): Promise<{ lut: Lut; measured: number }> {
  const byKey = missingAcross(o.lut, o.archs);
  if (!byKey.size) return { lut: o.lut, measured: 0 };
  refuseImportedLut(o.lut, o.lutPath);
  o.log?.(`profiling ${byKey.size} missing entr${byKey.size === 1 ? 'y' : 'ies'} into ${o.lutPath}`);
  const result = await o.withDevice((device) =>
    profile({ device, instances: [...byKey.values()], lutPath: o.lutPath, protocol: o.lut.protocol ?? o.protocol ?? DEFAULT_PROTOCOL, force: false, onProgress: o.onProgress }),
  );
  return { lut: readLut(o.lutPath), measured: result.summary.measured };
}
