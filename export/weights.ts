/**
 * Weights for exported models.
 *
 * Untrained exports (latency measurement, smoke runs) get deterministic pseudo-random weights: each
 * tensor draws from an Rng seeded with (seed, tensor name), so the same seed gives the same bytes
 * whatever order blocks are emitted in, and one block's weights do not shift when another changes.
 * Scales are He-style with the gain of the activation that follows the layer (PyTorch's kaiming
 * convention), so every block maps inputs of second moment ~1 to outputs of second moment ~1 and
 * activations stay O(1) through deep chains: no Inf/NaN, and no denormals (which take a slow path on
 * many CPUs and would distort timing). Biases (BatchNorm folded into the conv) are small, non-zero.
 *
 * Trained weights come in through a `WeightSource`, asked for every parameter tensor by name before
 * the generator is used. Names are `<prefix>.<part>.weight|bias`, where the prefix is `layer<i>`
 * (architecture layer index) in a network and `op` in a one-op model, and the parts are:
 *
 *   conv      conv                              dwconv    dw
 *   dwsep     dw, se.reduce, se.expand, pw      mbconv    expand, dw, se.reduce, se.expand, project
 *   se        se.reduce, se.expand              linear    fc
 *   reluconv  conv                              nb201cell edge<to>_<from>.conv (nor_conv edges)
 *   resblock  conv_a.conv, conv_b.conv, shortcut.conv (1x1; no bias after the stride-2 pool)
 *
 * e.g. layer4.project.weight, layer3.edge2_0.conv.bias, op.fc.weight.
 *
 * Shapes follow PyTorch: conv weight [cout, cin/groups, k, k] with BatchNorm already folded in,
 * bias [cout]; linear weight [cout, cin] and bias [cout]. A source returns undefined for a tensor it
 * does not have, which then gets generated weights.
 */
import { UserError } from '../src/core/errors.js';
import { nameSeed, Rng } from '../src/core/rng.js';

export type WeightSource = (name: string, shape: number[]) => Float32Array | undefined;

// The gains live with the lowerings, which carry them on the graph (InitHint); re-exported for the backends.
export { actGain, RESIDUAL_GAIN, SE_GAIN } from '../src/core/lower/gains.js';

const BIAS_SCALE = 0.1;

export class Weights {
  constructor(
    private readonly seed = 0,
    private readonly source?: WeightSource,
    /** Generated tensors are zeros (ExportOptions.zeroWeights): no value is drawn. */
    private readonly zeros = false,
  ) {}

  /** A weight tensor with `fanIn` inputs per output; `gain` is actGain of the activation after the layer, times any extra gain. */
  weight(name: string, shape: number[], fanIn: number, gain: number): Float32Array {
    // Uniform(-a, a) has std a/sqrt(3): a = sqrt(3) * gain / sqrt(fanIn) gives std gain/sqrt(fanIn).
    return this.fromSource(name, shape) ?? this.uniform(name, shape, Math.sqrt(3 / fanIn) * gain);
  }

  bias(name: string, shape: number[]): Float32Array {
    return this.fromSource(name, shape) ?? this.uniform(name, shape, BIAS_SCALE);
  }

  /** A tensor every element of which is `value` unless the source has it (BatchNorm statistics, norm scales). */
  constant(name: string, shape: number[], value: number): Float32Array {
    return this.fromSource(name, shape) ?? new Float32Array(count(shape)).fill(value);
  }

  private uniform(name: string, shape: number[], bound: number): Float32Array {
    if (this.zeros) return new Float32Array(count(shape));
    // Rng.next() has a 2^-32 grid, so non-zero values are >= bound * 2^-31: far above the denormal range.
    return new Rng(nameSeed(this.seed, name)).fill(count(shape), bound);
  }

  private fromSource(name: string, shape: number[]): Float32Array | undefined {
    const data = this.source?.(name, shape);
    if (data === undefined) return undefined;
    if (data.length !== count(shape))
      throw new UserError(`weight source gave ${data.length} values for '${name}', expected ${count(shape)} (shape [${shape.join(', ')}])`, {
        hint: 'conv weights are [cout, cin/groups, k, k] with BatchNorm folded in, linear weights [cout, cin]; see export/weights.ts',
      });
    if (!data.every(Number.isFinite)) throw new UserError(`weight source gave non-finite values for '${name}'`);
    return data;
  }
}

function count(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
