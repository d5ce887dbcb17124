/**
 * Sending a run's work to the farm up front, so the coordinator's loops (profile, verify), which
 * await one model after another, find the results measured in parallel. Only what the LUT or the
 * verify state lacks is sent; nothing is sent when the file was measured under other settings (the
 * loop then refuses it with its own message).
 */
import { existsSync } from 'node:fs';
import { overheadModel, networkModel } from '../../export/model.js';
import { deviceDifferences, protocolDifferences } from '../../lut/compare.js';
import { lutId, readLut } from '../../lut/store.js';
import { PartialRounds } from '../../lut/partial-rounds.js';
import { netRoundsKey, type ProfileNet } from '../profile/profiler.js';
import { entryModel } from '../profile/entry-model.js';
import { loadVerifyInputs } from '../verify/inputs.js';
import { memberRoundsKey } from '../verify/measure.js';
import { verifyProtocol } from '../verify/protocol.js';
import { archDigest, defaultStatePath, VerifyState } from '../verify/state.js';
import { opKey } from '../core/keys.js';
import type { OpInstance } from '../core/ops.js';
import { netProtocol } from '../../devices/rounds.js';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import type { FarmDevice } from './farm-device.js';

export interface LutPrefetch {
  instances: readonly OpInstance[];
  lutPath: string;
  protocol: TimingProtocol;
  force?: boolean;
  /** Weight seed of the one-op models (profile's, 0 by default). */
  seed?: number;
  /** The whole networks profile() times in the entries' passes (the calibration's), as it is given them. */
  nets?: readonly ProfileNet[];
}

/**
 * Queues the overhead model, every supported entry the LUT lacks and every net the device can run, each from
 * the first round a killed run did not keep beside the LUT (lut/partial-rounds.ts; collected again, a
 * kept round's job would count one measurement twice); returns how many models were queued.
 */
export async function prefetchLut(device: FarmDevice, o: LutPrefetch): Promise<number> {
  const info = await device.init();
  const lut = !o.force && existsSync(o.lutPath) ? readLut(o.lutPath) : undefined;
  if (lut && (deviceDifferences(lut.device, info).length || protocolDifferences(lut.protocol, o.protocol).length)) return 0;
  // The rounds file the profiler will read: that of the LUT's id, also for a new LUT (--force, or a LUT file
  // deleted beside its rounds file: the new one has the same id); the rounds file of another LUT is ignored here
  // as the profiler ignores it.
  const kept = PartialRounds.open(o.lutPath, lut?.id ?? lutId(info, o.protocol)).all();
  const byKey = new Map(o.instances.map((inst) => [opKey(inst), inst]));
  const missing = [...byKey].filter(([key]) => !lut || !Object.hasOwn(lut.entries, key)).map(([, inst]) => inst);
  const nets = o.nets ?? [];
  await device.askSupport([...missing, ...nets.flatMap((n) => n.instances)]);
  const seed = o.seed ?? 0;
  // The rounds a model starts from: an entry's are kept under its key (a one-op model's key), a net's under
  // netRoundsKey (held weakly: a net's bytes are not kept once queued).
  const from = new WeakMap<ModelUnderTest, number>();
  function* models() {
    // The profiler measures the overhead first, on this shape.
    if (!lut) yield overheadModel([1, 1, 1, 1]);
    // The model profile() will ask for (entryModel: zero weights for workers whose device runs none), so each job is the one it collects.
    for (const inst of missing) if (device.supports(inst) === true) yield entryModel(device, inst, seed);
  }
  function* netModels() {
    for (const net of nets)
      if (net.instances.every((inst) => device.supports(inst) === true)) {
        const model = net.build();
        from.set(model, kept.get(netRoundsKey(net.id))?.length ?? 0);
        yield model;
      }
  }
  const fromRound = (m: ModelUnderTest) => from.get(m) ?? kept.get(m.key)?.length ?? 0;
  // The nets under their own rounds (protocol.netRounds), as profile() times them: each job is one it collects.
  return (await device.prefetch(models(), o.protocol, fromRound)) + (await device.prefetch(netModels(), netProtocol(o.protocol), fromRound));
}

export interface VerifyPrefetch {
  frontPath: string;
  lutPath?: string;
  statePath?: string;
  /** The flags that replace fields of the LUT's protocol (as verifyFront takes them). */
  protocol: Partial<TimingProtocol>;
}

/**
 * Queues every member of a front that the verify state does not hold yet, under the protocol verifyFront will
 * use, each from the first round a killed run did not keep beside the state (`<state>.rounds.json`).
 */
export async function prefetchVerify(device: FarmDevice, o: VerifyPrefetch): Promise<number> {
  const inputs = loadVerifyInputs(o.frontPath, o.lutPath);
  const info = await device.init();
  const protocol = verifyProtocol(inputs.lut?.lut, o.protocol, info);
  const state = VerifyState.open(o.statePath ?? defaultStatePath(o.frontPath), info, protocol);
  const kept = PartialRounds.open(state.path, state.settingId).all();
  const from = new WeakMap<ModelUnderTest, number>();
  const todo = inputs.front.members.flatMap((m, i) => (state.get(m.name, archDigest(inputs.archs[i])) ? [] : [{ name: m.name, arch: inputs.archs[i] }]));
  return device.prefetch(
    (function* () {
      for (const { name, arch } of todo) {
        // verifyFront's default export: the network with weight seed 0.
        const model = networkModel(arch, { seed: 0 });
        from.set(model, kept.get(memberRoundsKey(name, arch))?.length ?? 0);
        yield model;
      }
    })(),
    // Members are whole nets: protocol.netRounds rounds each, as measureMembers times them.
    netProtocol(protocol),
    (m) => from.get(m) ?? 0,
  );
}
