/**
 * Adam (Kingma & Ba 2015) on plain float64 arrays. The controller keeps its parameters in JS arrays
 * rather than tf.Variables so that its whole state (parameters, moments, step) is plain numbers: a
 * checkpoint restores it bit for bit, and no variable names leak into tfjs's global registry.
 */
import { UserError } from '../../core/errors.js';

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamState {
  t: number;
  m: number[][];
  v: number[][];
}

export class Adam {
  private t = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private readonly lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(sizes: readonly number[], opts: AdamOptions) {
    if (!(opts.learningRate > 0) || !Number.isFinite(opts.learningRate)) throw new UserError(`Adam: learning rate must be a finite number > 0, got ${opts.learningRate}`);
    this.lr = opts.learningRate;
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.epsilon ?? 1e-8;
    this.m = sizes.map((n) => new Float64Array(n));
    this.v = sizes.map((n) => new Float64Array(n));
  }

  /** One descent step: params ← params − lr · m̂ / (√v̂ + ε). */
  step(params: Float64Array[], grads: ArrayLike<number>[]): void {
    this.t++;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    params.forEach((p, i) => {
      const g = grads[i];
      const m = this.m[i];
      const v = this.v[i];
      for (let j = 0; j < p.length; j++) {
        m[j] = this.b1 * m[j] + (1 - this.b1) * g[j];
        v[j] = this.b2 * v[j] + (1 - this.b2) * g[j] * g[j];
        p[j] -= (this.lr * (m[j] / c1)) / (Math.sqrt(v[j] / c2) + this.eps);
      }
    });
  }

  state(): AdamState {
    return { t: this.t, m: this.m.map((a) => Array.from(a)), v: this.v.map((a) => Array.from(a)) };
  }

  load(state: AdamState): void {
    const fits = (arrays: unknown, mine: Float64Array[]) =>
      Array.isArray(arrays) && arrays.length === mine.length && arrays.every((a, i) => Array.isArray(a) && a.length === mine[i].length && a.every(Number.isFinite));
    if (typeof state !== 'object' || state === null || !Number.isInteger(state.t) || state.t < 0 || !fits(state.m, this.m) || !fits(state.v, this.v))
      throw new UserError('search checkpoint state is malformed: its Adam moments do not fit this controller', { hint: 'delete the checkpoint to start the search over' });
    this.t = state.t;
    state.m.forEach((a, i) => this.m[i].set(a));
    state.v.forEach((a, i) => this.v[i].set(a));
  }
}
