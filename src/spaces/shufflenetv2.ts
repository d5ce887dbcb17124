/**
 * `shufflenetv2`: Single Path One-Shot's block space (Guo et al. 2020; megvii ShuffleNet-Series OneShot) on
 * ShuffleNetV2's layout. A 3×3 stride-2 stem of 16 channels, 20 choice blocks in four stages (4/4/8/4 blocks,
 * 64/160/320/640 channels, each stage starting with stride 2), a 1×1 conv to 1024, global pooling and a linear
 * classifier. Each block chooses shuffle 3×3, 5×5, 7×7 or the Xception-like block, middle width cout/2 (SPOS's
 * block search; its channel search, scales 0.2–2.0 of the middle width, is not part of this space).
 * The searched SPOS network is in the seed-net catalog (`--published SPOS`).
 */
import type { Architecture } from '../core/arch.js';
import type { OpInstance } from '../core/ops.js';
import type { Rng } from '../core/rng.js';
import type { Decision, SearchSpace, SpaceOptions } from '../core/space.js';
import { sposArch, SPOS_STAGES } from './seed-nets/shufflenet.js';
import { checkChoices, collectInstances, spaceInput } from './space-util.js';

export const SPOS_OPS = ['shuffle3', 'shuffle5', 'shuffle7', 'xception'] as const;
const BLOCKS = SPOS_STAGES.reduce((a, s) => a + s.repeats, 0);

export class ShuffleNetV2Space implements SearchSpace {
  readonly id = 'shufflenetv2';
  readonly description = 'SPOS block space: 20 ShuffleNetV2 choice blocks (shuffle 3/5/7 or Xception) in 4 stages of 64/160/320/640 channels';
  readonly resolution: number;
  readonly classes: number;

  constructor(opts: SpaceOptions = {}) {
    ({ resolution: this.resolution, classes: this.classes } = spaceInput(this.id, opts));
  }

  decisions(): Decision[] {
    return Array.from({ length: BLOCKS }, (_, i) => ({ name: `block${i + 1}`, options: [...SPOS_OPS] }));
  }

  build(choices: readonly number[]): Architecture {
    checkChoices(this.id, this.decisions(), choices);
    const name = `${this.id}@${this.resolution}:${choices.map((c) => SPOS_OPS[c]).join('-')}`;
    const arch = sposArch(name, choices, choices.map(() => 1), this.resolution, this.classes);
    return { ...arch, space: { id: this.id, resolution: this.resolution, encoding: [...choices] } };
  }

  sample(rng: Rng): number[] {
    return this.decisions().map((d) => rng.int(d.options.length));
  }

  /** A block's input never depends on the choices, so the four uniform networks hold every instance. */
  allInstances(): OpInstance[] {
    const seen = new Map<string, OpInstance>();
    for (let op = 0; op < SPOS_OPS.length; op++) collectInstances(seen, this.build(Array.from({ length: BLOCKS }, () => op)));
    return [...seen.values()];
  }
}

export function createShuffleNetV2Space(opts: SpaceOptions = {}): ShuffleNetV2Space {
  return new ShuffleNetV2Space(opts);
}
