/**
 * The anchor: one fixed conv unit (64→64 channels, 3×3, on 16×16; its data stays in a core's own caches)
 * timed on the device right after a round when the protocol asks for it (`protocol.anchor`), its fastest run
 * recorded as the round's `noise.anchorMs`. The register-only speed probe (speed-probe.ts) measures the
 * CPU's arithmetic; the anchor measures what the runtime's own vector kernels get from the machine at that
 * moment. On the quiet runs of 06 Dec (docs/benchmarks.md, issue 13: where a net's rounds disagree) whole
 * passes of LUT entries ran 30–36% slower than the passes around them while the probe moved by 5% and the
 * load and steal not at all: a yardstick of the runtime's kind is what can tell such a round apart.
 */
import type { OpInstance } from '../src/core/ops.js';
import { instance } from '../src/core/ops.js';
import { opModel } from '../export/model.js';
import type { Device, ModelUnderTest, TimingProtocol } from './types.js';

export const ANCHOR_INSTANCE: OpInstance = instance({ kind: 'conv', cout: 64, k: 3, stride: 1, groups: 1, dilation: 1, act: 'relu' }, [1, 64, 16, 16]);

/** 3 warm-up runs, then 15 timed: a few ms on a CPU runtime, plus its session's setup. */
export const ANCHOR_PROTOCOL: TimingProtocol = { warmup: 3, minRepeats: 15, maxRepeats: 15, maxTimeMs: 200, targetCI: 1 };

let model: ModelUnderTest | undefined;
/** The fastest anchor any round in this process recorded (its own or a round worker's): the gate's reference. */
let fastest = Infinity;

/** Notes a round's anchor (the scheduler calls this for every round it receives, wherever it was timed). */
export function noteAnchor(ms: number | undefined): void {
  if (ms !== undefined && ms > 0 && ms < fastest) fastest = ms;
}

/** The fastest anchor noted in this process so far (Infinity before any). */
export const fastestAnchor = (): number => fastest;

/** For tests: forget the anchors noted so far. */
export function resetAnchors(): void {
  fastest = Infinity;
}

/** The anchor's fastest run on `device` now, ms. */
export async function anchorMs(device: Device): Promise<number> {
  model ??= opModel(ANCHOR_INSTANCE);
  const r = await device.time(model, ANCHOR_PROTOCOL);
  return r.stats.min;
}
