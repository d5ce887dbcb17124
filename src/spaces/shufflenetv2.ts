/**
 * `shufflenetv2`: Single Path One-Shot's block space (Guo et al. 2020; megvii ShuffleNet-Series OneShot) on
 * ShuffleNetV2's layout. A 3×3 stride-2 stem of 16 channels, 20 choice blocks in four stages (4/4/8/4 blocks,
 * 64/160/320/640 channels, each stage starting with stride 2), a 1×1 conv to 1024, global pooling and a linear
 * classifier. Each block chooses shuffle 3×3, 5×5, 7×7 or the Xception-like block, middle width cout/2 (SPOS's
 * block search).
 *
 * `shufflenetv2-channels` adds SPOS's channel search: each block also chooses its middle width's scale,
 * 0.2 to 2.0 by 0.2 of cout/2 (int(cout/2 · scale), OneShot network.py). Encoding: per block, the op then the
 * scale. The searched SPOS network (block and channel choices) is a member, and in the seed-net catalog
 * (`--published SPOS`).
 */
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import type { OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { sposArch, SPOS_CHANNEL_SCALES, SPOS_STAGES } from './seed-nets/shufflenet.js';
import { checkChoices, collectInstances, spaceInput } from './space-util.js';

export const SPOS_OPS = ['shuffle3', 'shuffle5', 'shuffle7', 'xception'] as const;
const BLOCKS = SPOS_STAGES.reduce((a, s) => a + s.repeats, 0);
const ONE = SPOS_CHANNEL_SCALES.indexOf(1.0);

export class ShuffleNetV2Space implements SearchSpace {
  readonly id: string;
  readonly description: string;
  readonly resolution: number;
  readonly classes: number;

  /** `channels`: the middle widths are searched too (SPOS's channel search). */
  constructor(opts: SpaceOptions = {}, readonly channels = false) {
    this.id = channels ? 'shufflenetv2-channels' : 'shufflenetv2';
    this.description = `SPOS ${channels ? 'block and channel' : 'block'} space: 20 ShuffleNetV2 choice blocks (shuffle 3/5/7 or Xception${channels ? ', middle width 0.2-2.0 of cout/2' : ''}) in 4 stages of 64/160/320/640 channels`;
    ({ resolution: this.resolution, classes: this.classes } = spaceInput(this.id, opts));
  }

  decisions(): Decision[] {
    return Array.from({ length: BLOCKS }, (_, i): Decision[] => [
      { name: `block${i + 1}`, options: [...SPOS_OPS] },
      ...(this.channels ? [{ name: `block${i + 1}.channels`, options: SPOS_CHANNEL_SCALES.map((s) => s.toFixed(1)) }] : []),
    ]).flat();
  }

  /** The ops (0-3) and middle-width scale indices (into SPOS_CHANNEL_SCALES) of a choice vector. */
  private split(choices: readonly number[]): { ops: number[]; scales: number[] } {
    if (!this.channels) return { ops: [...choices], scales: choices.map(() => ONE) };
    return { ops: choices.filter((_, i) => i % 2 === 0), scales: choices.filter((_, i) => i % 2 === 1) };
  }

  /** The choice vector of per-block ops and scale indices (e.g. SPOS's architecture and scale_ids). */
  encode(ops: readonly number[], scaleIds: readonly number[]): number[] {
    if (ops.length !== BLOCKS || scaleIds.length !== BLOCKS) throw new UserError(`${this.id}: ${BLOCKS} ops and ${BLOCKS} scales, got ${ops.length} and ${scaleIds.length}`);
    if (!this.channels && scaleIds.some((s) => s !== ONE)) throw new UserError(`${this.id}: every middle width is cout/2 here; the scales other than 1.0 need shufflenetv2-channels`, { hint: '--space shufflenetv2-channels searches the middle widths' });
    return this.channels ? ops.flatMap((op, i) => [op, scaleIds[i]]) : [...ops];
  }

  build(choices: readonly number[]): Architecture {
    checkChoices(this.id, this.decisions(), choices);
    const { ops, scales } = this.split(choices);
    const tag = (op: number, i: number) => SPOS_OPS[op] + (this.channels ? `x${SPOS_CHANNEL_SCALES[scales[i]].toFixed(1)}` : '');
    const name = `${this.id}@${this.resolution}:${ops.map(tag).join('-')}`;
    const arch = sposArch(name, ops, scales.map((s) => SPOS_CHANNEL_SCALES[s]), this.resolution, this.classes);
    return { ...arch, space: { id: this.id, resolution: this.resolution, encoding: [...choices] } };
  }

  sample(rng: Rng): number[] {
    return this.decisions().map((d) => rng.int(d.options.length));
  }

  /** A block's input never depends on the choices, so the uniform networks (one per op and scale) hold every instance. */
  allInstances(): OpInstance[] {
    const seen = new Map<string, OpInstance>();
    const scales = this.channels ? SPOS_CHANNEL_SCALES.map((_, i) => i) : [ONE];
    for (let op = 0; op < SPOS_OPS.length; op++)
      for (const s of scales) collectInstances(seen, this.build(this.encode(Array(BLOCKS).fill(op), Array(BLOCKS).fill(s))));
    return [...seen.values()];
  }
}

export function createShuffleNetV2Space(opts: SpaceOptions = {}): ShuffleNetV2Space {
  return new ShuffleNetV2Space(opts);
}

export function createSposChannelSpace(opts: SpaceOptions = {}): ShuffleNetV2Space {
  return new ShuffleNetV2Space(opts, true);
}
