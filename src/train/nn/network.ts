/**
 * A trainable network built from an Architecture: one module per layer (its block lowered to primitives,
 * graph-module.ts), NHWC inside,
 * logits [n, classes] out. Holds its parameters as named tfjs variables (see Param).
 */
import * as tf from '@tensorflow/tfjs';
import { isChain, placeLayers, type Architecture } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { BatchNorm } from './batchnorm.js';
import { lowerArchitecture } from '../../core/lower/index.js';
import { buildLayer, GraphModule } from './graph-module.js';
import { disposeParams, dropStep, SavedTensors, Sequence, type DropPathDraw, type Module, type Param, type TrainContext } from './module.js';

function batchNorms(m: Module): BatchNorm[] {
  if (m instanceof BatchNorm) return [m];
  if (m instanceof Sequence) return m.modules.flatMap(batchNorms);
  if (m instanceof GraphModule) return m.modules().flatMap(batchNorms);
  return [];
}

export interface NetworkOptions {
  /** Seed of the initial weights. */
  seed?: number;
  /**
   * Prebuilt modules, one per layer of the architecture (a supernet's path): the network then uses
   * them instead of building its own, and leaves their parameters to their owner on dispose().
   */
  modules?: Module[];
}

export class Network {
  readonly layers: { prefix: string; module: Module }[];
  /** One image, NHWC: [h, w, c]. */
  readonly imageShape: [number, number, number];
  readonly classes: number;
  private readonly all: Param[];
  private readonly saved = new SavedTensors();
  /** False when the modules were given (their owner disposes them). */
  private readonly owned: boolean;

  constructor(
    readonly arch: Architecture,
    opts: NetworkOptions = {},
  ) {
    const placed = placeLayers(arch);
    if (placed.length === 0) throw new UserError(`architecture '${arch.name}' has no layers`);
    const out = placed[placed.length - 1].output;
    if (out[2] !== 1 || out[3] !== 1)
      throw new UserError(`architecture '${arch.name}' ends in ${out.join('x')}, training needs class scores N x classes x 1 x 1`, {
        hint: 'end the network with a global pool and a linear layer',
      });
    const [, c, h, w] = arch.input;
    this.imageShape = [h, w, c];
    this.classes = out[1];
    const seed = opts.seed ?? 0;
    const given = opts.modules;
    if (given && given.length !== placed.length) throw new Error(`${given.length} modules for the ${placed.length} layers of ${arch.name}`);
    this.owned = !given;
    if (isChain(arch)) {
      this.layers = placed.map((p) => {
        const prefix = `layer${p.index}`;
        return { prefix, module: given ? given[p.index] : buildLayer(p.layer.spec, p.inst.input, prefix, seed) };
      });
    } else {
      // A DAG (layers naming their inputs) is one module: the whole architecture lowered, each node under its layer's id.
      if (given) throw new Error(`${arch.name} is a DAG: prebuilt per-layer modules apply to chains only`);
      this.layers = [{ prefix: arch.name, module: new GraphModule(lowerArchitecture(arch), `architecture '${arch.name}'`, seed) }];
    }
    this.all = this.layers.flatMap((l) => l.module.params());
    const names = new Set<string>();
    for (const p of this.all) {
      if (names.has(p.name)) throw new Error(`duplicate parameter name ${p.name}`);
      names.add(p.name);
    }
  }

  /** Every parameter and BatchNorm statistic, in a fixed order. */
  params(): Param[] {
    return this.all;
  }

  /**
   * Logits [n, classes] for images x [n, h, w, c]; `training` keeps what backward needs, and drops cell
   * paths with `dropPath`'s masks when given (drop-path.ts).
   */
  forward(x: tf.Tensor4D, training: boolean, dropPath?: DropPathDraw): tf.Tensor2D {
    const saved = this.saved;
    const ctx: TrainContext | undefined = !training ? undefined : dropPath ? { save: (t) => saved.save(t), dropPath } : saved;
    return tf.tidy(() => tf.reshape(this.layers.reduce((h, l) => l.module.forward(h, ctx), x), [x.shape[0], this.classes]));
  }

  /** Back-propagates dL/dlogits through the last training forward; gradients land in Param.grad. */
  backward(dLogits: tf.Tensor2D): void {
    let g = tf.reshape(dLogits, [dLogits.shape[0], 1, 1, this.classes]) as tf.Tensor4D;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const next = this.layers[i].module.backward(g, i > 0);
      g.dispose();
      if (!next) break;
      g = next;
    }
    this.saved.release();
  }

  /**
   * BatchNorm recalibration: replaces every running statistic by the plain average of the batch
   * statistics over `batches` (forward passes only). After a short training the exponential running
   * averages still remember their initial values; NAS proxies recalibrate before evaluating.
   */
  recalibrate(batches: Iterable<tf.Tensor4D>): void {
    const norms = this.layers.flatMap((l) => batchNorms(l.module));
    let k = 0;
    for (const x of batches) {
      tf.tidy(() => {
        this.forward(x, true);
      });
      for (const bn of norms) bn.accumulateStatistics(k);
      this.saved.release();
      k++;
    }
  }

  /** Drops a training forward without applying it (its loss was not finite). */
  cancelStep(): void {
    dropStep(this.saved, this.all);
  }

  dispose(): void {
    disposeParams(this.saved, this.all, this.owned);
  }
}
