/**
 * Sending a run's work to the farm up front, so the coordinator's loops (profile, verify), which
 * await one model after another, find the results measured in parallel. Only what the LUT or the
 * verify state lacks is sent; nothing is sent when the file was measured under other settings (the
 * loop then refuses it with its own message).
 */
import { existsSync } from 'node:fs';
import { opModel, overheadModel, networkModel } from '../../export/model.js';
import { deviceDifferences, protocolDifferences } from '../../lut/compare.js';
import { readLut } from '../../lut/store.js';
import { PartialRounds } from '../profile/partial-rounds.js';
import { loadVerifyInputs } from '../verify/inputs.js';
import { archDigest, defaultStatePath, VerifyState } from '../verify/state.js';
import { opKey } from '../core/keys.js';
import type { OpInstance } from '../core/ops.js';
import { DEFAULT_PROTOCOL, type TimingProtocol } from '../../devices/types.js';
import type { FarmDevice } from './farm-device.js';

export interface LutPrefetch {
  instances: readonly OpInstance[];
  lutPath: string;
  protocol: TimingProtocol;
  force?: boolean;
  /** Weight seed of the one-op models (profile's, 0 by default). */
  seed?: number;
}

/**
 * Queues the overhead model and every supported entry the LUT lacks, each from the first round a killed run did
 * not keep beside the LUT (src/profile/partial-rounds.ts); returns how many models were queued.
 */
export async function prefetchLut(device: FarmDevice, o: LutPrefetch): Promise<number> {
  const info = await device.init();
  const lut = !o.force && existsSync(o.lutPath) ? readLut(o.lutPath) : undefined;
  if (lut && (deviceDifferences(lut.device, info).length || protocolDifferences(lut.protocol, o.protocol).length)) return 0;
  // The rounds file of another LUT is ignored here as the profiler ignores it.
  const kept = lut ? PartialRounds.open(o.lutPath, lut.id).all() : new Map<string, unknown[]>();
  const byKey = new Map(o.instances.map((inst) => [opKey(inst), inst]));
  const missing = [...byKey].filter(([key]) => !lut || !Object.hasOwn(lut.entries, key)).map(([, inst]) => inst);
  await device.askSupport(missing);
  const seed = o.seed ?? 0;
  function* models() {
    // The profiler measures the overhead first, on this shape.
    if (!lut) yield overheadModel([1, 1, 1, 1]);
    for (const inst of missing) if (device.supports(inst) === true) yield opModel(inst, { seed });
  }
  // A one-op model's key is its entry's key, the one its rounds are kept under.
  return device.prefetch(models(), o.protocol, (m) => kept.get(m.key)?.length ?? 0);
}

export interface VerifyPrefetch {
  frontPath: string;
  lutPath?: string;
  statePath?: string;
  /** The flags that replace fields of the LUT's protocol (as verifyFront takes them). */
  protocol: Partial<TimingProtocol>;
}

/** Queues every member of a front that the verify state does not hold yet, under the protocol verifyFront will use. */
export async function prefetchVerify(device: FarmDevice, o: VerifyPrefetch): Promise<number> {
  const inputs = loadVerifyInputs(o.frontPath, o.lutPath);
  const protocol: TimingProtocol = { ...(inputs.lut?.lut.protocol ?? DEFAULT_PROTOCOL), ...o.protocol };
  const state = VerifyState.open(o.statePath ?? defaultStatePath(o.frontPath), await device.init(), protocol);
  const todo = inputs.front.members.flatMap((m, i) => (state.get(m.name, archDigest(inputs.archs[i])) ? [] : [inputs.archs[i]]));
  return device.prefetch(
    (function* () {
      // verifyFront's default export: the network with weight seed 0.
      for (const arch of todo) yield networkModel(arch, { seed: 0 });
    })(),
    protocol,
  );
}
