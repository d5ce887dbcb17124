/**
 * The training engine's building block: a module with an explicit forward and backward pass.
 *
 * Why not tfjs autodiff: its gradients go through ops that are slow on wasm (Sum over leading axes
 * and Transpose-based reductions, Where, comparisons), and the tape keeps every intermediate. Here
 * each module computes its gradient with the few primitives that are fast everywhere (XNNPACK
 * products and convolutions, average pooling as a reduction, element-wise arithmetic), keeps only
 * what its backward needs, and frees gradients as soon as they are consumed.
 *
 * Memory: forward and backward run inside tf.tidy, so temporaries die at the end of each module;
 * what a backward needs is kept through `TrainContext.save` and lives until the training step ends
 * (Network.step frees it). Without this a step kept every temporary and the wasm heap grew to 800 MB,
 * which made the kernels slower from cache and TLB misses.
 *
 * Contract: `forward(x, ctx)` trains when given a context (and then must be followed by one
 * `backward`); `backward(dy, needInput)` does not dispose dy and returns a new tensor dL/dx, or null
 * when `needInput` is false (the first layer's input needs no gradient). Parameter gradients
 * accumulate into `Param.grad`.
 */
import * as tf from '@tensorflow/tfjs';

export type ParamRole = 'weight' | 'bias' | 'bn-scale' | 'bn-shift' | 'bn-mean' | 'bn-var';

export class Param {
  grad: tf.Tensor | null = null;
  readonly variable: tf.Variable;
  constructor(
    /** Name in checkpoints and exports, e.g. "layer3.dw.weight" or "layer3.dw.bn.gamma". */
    readonly name: string,
    value: tf.Tensor,
    readonly role: ParamRole,
  ) {
    // tfjs variable names are global to the process; ours only need to be unique per network.
    this.variable = tf.variable(value, role !== 'bn-mean' && role !== 'bn-var');
    value.dispose();
  }
  get value(): tf.Tensor {
    return this.variable;
  }
  get trainable(): boolean {
    return this.role !== 'bn-mean' && this.role !== 'bn-var';
  }
  /** Weight decay applies to conv and linear weights only (not to BatchNorm or biases). */
  get decays(): boolean {
    return this.role === 'weight';
  }
  addGrad(g: tf.Tensor): void {
    if (!this.grad) {
      this.grad = tf.keep(g);
      return;
    }
    const sum = tf.keep(tf.add(this.grad, g));
    this.grad.dispose();
    g.dispose();
    this.grad = sum;
  }
  clearGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }
}

/**
 * A block of a parent Param, used as a module's weight (nested weight sharing: one-shot supernets
 * whose options are sub-blocks of one largest kernel). `value` is a new slice of the parent's
 * variable on every access, so read it inside a tf.tidy and do not keep it; `addGrad` pads the
 * gradient with zeros to the parent's shape and adds it to the parent's gradient. Optimizers and
 * checkpoints see only the parent: a module's `params()` lists `ownerOf(weight)`.
 */
export class ParamSlice {
  readonly size: number[];
  constructor(
    readonly parent: Param,
    readonly begin: number[],
    size: number[],
  ) {
    const shape = parent.variable.shape;
    if (begin.length !== shape.length || size.length !== shape.length || size.some((n, i) => !(n > 0 && begin[i] >= 0 && begin[i] + n <= shape[i])))
      throw new Error(`slice [${begin}] + [${size}] is outside ${parent.name} [${shape}]`);
    this.size = [...size];
  }
  get name(): string {
    return this.parent.name;
  }
  get role(): ParamRole {
    return this.parent.role;
  }
  /** True when the slice is the whole parent. */
  get whole(): boolean {
    return this.size.every((n, i) => n === this.parent.variable.shape[i]);
  }
  get value(): tf.Tensor {
    return this.whole ? this.parent.value : tf.slice(this.parent.variable, this.begin, this.size);
  }
  addGrad(g: tf.Tensor): void {
    if (this.whole) return this.parent.addGrad(g);
    const shape = this.parent.variable.shape;
    const padded = tf.tidy(() => tf.pad(g, this.begin.map((b, i) => [b, shape[i] - b - this.size[i]] as [number, number])));
    g.dispose();
    this.parent.addGrad(padded);
  }
}

/** A module's weight: its own Param or a slice of a shared one. */
export type WeightRef = Param | ParamSlice;

/** The Param a weight belongs to (what optimizers and checkpoints see). */
export function ownerOf(w: WeightRef): Param {
  return w instanceof ParamSlice ? w.parent : w;
}

/** What a training forward keeps for its backward. */
export interface TrainContext {
  save<T extends tf.Tensor>(t: T): T;
  /** ScheduledDropPath's masks for this forward (drop-path.ts); absent: no path is dropped. */
  dropPath?: DropPathDraw;
}

/** Draws the per-sample drop-path masks of one training forward (drop-path.ts). */
export interface DropPathDraw {
  /** Probability of dropping a path, in [0, 1). */
  readonly rate: number;
  /** [n, 1, 1, 1]: 0 for a dropped sample, 1/(1 − rate) for a kept one. */
  mask(n: number): tf.Tensor4D;
}

/** Kept tensors of one training step, freed together when the step is over. */
export class SavedTensors implements TrainContext {
  private kept: tf.Tensor[] = [];
  save<T extends tf.Tensor>(t: T): T {
    this.kept.push(tf.keep(t));
    return t;
  }
  release(): void {
    for (const t of this.kept) t.dispose();
    this.kept = [];
  }
}

/** Drops a training forward: what it kept for its backward and every gradient of `params`. */
export function dropStep(saved: SavedTensors, params: readonly Param[]): void {
  saved.release();
  for (const p of params) p.clearGrad();
}

/** Frees a network: what a forward kept, the gradients and, when the network owns them, the variables. */
export function disposeParams(saved: SavedTensors, params: readonly Param[], variables: boolean): void {
  dropStep(saved, params);
  if (variables) for (const p of params) p.variable.dispose();
}

/** tf.tidy for a backward body that may return no gradient. */
export function tidyGrad(f: () => tf.Tensor4D | null): tf.Tensor4D | null {
  return (tf.tidy(() => f() ?? undefined) as tf.Tensor4D | undefined) ?? null;
}

export interface Module {
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D;
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null;
  /** Every parameter and statistic, trainable or not, in a fixed order. */
  params(): Param[];
}

/** Modules applied one after another. */
export class Sequence implements Module {
  constructor(readonly modules: Module[]) {}
  forward(x: tf.Tensor4D, ctx?: TrainContext): tf.Tensor4D {
    return tf.tidy(() => this.modules.reduce((h, m) => m.forward(h, ctx), x));
  }
  backward(dy: tf.Tensor4D, needInput: boolean): tf.Tensor4D | null {
    let g: tf.Tensor4D | null = dy;
    for (let i = this.modules.length - 1; i >= 0 && g; i--) {
      const next: tf.Tensor4D | null = this.modules[i].backward(g, i > 0 || needInput);
      if (g !== dy) g.dispose();
      g = next;
    }
    return g === dy ? tf.clone(dy) : g;
  }
  params(): Param[] {
    return this.modules.flatMap((m) => m.params());
  }
}
