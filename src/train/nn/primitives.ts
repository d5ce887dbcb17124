/**
 * Training modules of the primitives that have no module of their own elsewhere in nn/: joins (add,
 * concat), the split of channels, the channel shuffle, the spatial crop, broadcast multiplication (SE gating), NCHW
 * flatten, sigmoid and hard sigmoid. Each has an explicit forward and backward (module.ts contract;
 * several inputs or outputs through GraphUnit, graph-module.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { Param, TrainContext } from './module.js';

type T4 = tf.Tensor4D;

/** A node of a training graph: tensors in, tensors out, gradients back (null = no gradient needed or none). */
export interface GraphUnit {
  forward(xs: T4[], ctx?: TrainContext): T4[];
  backward(dys: (T4 | null)[], need: boolean[]): (T4 | null)[];
  params(): Param[];
}

const none = (): Param[] => [];

export function addUnit(): GraphUnit {
  return {
    forward: (xs) => [xs.length === 2 ? (tf.add(xs[0], xs[1]) as T4) : (tf.addN(xs) as T4)],
    backward: ([dy], need) => need.map((n) => (n && dy ? tf.clone(dy) : null)),
    params: none,
  };
}

/** x · gate, the gate N×C×1×1 (broadcast over H, W) or shaped like x. */
export function mulUnit(): GraphUnit {
  let saved: { x: T4; g: T4 } | undefined;
  return {
    forward([x, g], ctx) {
      if (ctx) saved = { x: ctx.save(x), g: ctx.save(g) };
      return [tf.mul(x, g) as T4];
    },
    backward([dy], [needX, needG]) {
      const { x, g } = saved!;
      saved = undefined;
      if (!dy) return [null, null];
      const broadcast = g.shape[1] === 1 && g.shape[2] === 1 && x.shape[1] * x.shape[2] > 1;
      return [needX ? (tf.mul(dy, g) as T4) : null, needG ? (tf.tidy(() => (broadcast ? tf.sum(tf.mul(dy, x), [1, 2], true) : tf.mul(dy, x))) as T4) : null];
    },
    params: none,
  };
}

export function concatUnit(): GraphUnit {
  let sizes: number[] = [];
  return {
    forward(xs) {
      sizes = xs.map((x) => x.shape[3]);
      return [tf.concat(xs, 3) as T4];
    },
    backward([dy], need) {
      if (!dy) return need.map(() => null);
      const parts = tf.split(dy, sizes, 3) as T4[];
      return parts.map((p, i) => (need[i] ? p : (p.dispose(), null)));
    },
    params: none,
  };
}

export function splitUnit(sizes: readonly number[]): GraphUnit {
  let shape: number[] = [];
  return {
    forward([x]) {
      shape = x.shape;
      return tf.split(x, [...sizes], 3) as T4[];
    },
    backward(dys, [need]) {
      if (!need) return [null];
      const [n, h, w] = shape;
      return [tf.tidy(() => tf.concat(dys.map((d, i) => d ?? tf.zeros([n, h, w, sizes[i]])), 3) as T4)];
    },
    params: none,
  };
}

/** NCHW channel c = g·(C/G) + j goes to j·G + g; the gradient goes back by the inverse permutation. */
export function shuffleUnit(groups: number): GraphUnit {
  const permute = (x: T4, a: number, b: number) => {
    const [n, h, w, c] = x.shape;
    return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, a, b]), [0, 1, 2, 4, 3]), [n, h, w, c]) as T4;
  };
  return {
    forward: ([x]) => [tf.tidy(() => permute(x, groups, x.shape[3] / groups))],
    backward: ([dy], [need]) => [need && dy ? tf.tidy(() => permute(dy, dy.shape[3] / groups, groups)) : null],
    params: none,
  };
}

/** Rows begin[0]..end[0]-1 and columns begin[1]..end[1]-1 (end exclusive); the gradient is dy padded back with zeros. */
export function sliceUnit(begin: readonly [number, number], end: readonly [number, number]): GraphUnit {
  let shape: number[] = [];
  return {
    forward([x]) {
      shape = x.shape;
      return [tf.slice(x, [0, begin[0], begin[1], 0], [-1, end[0] - begin[0], end[1] - begin[1], -1]) as T4];
    },
    backward([dy], [need]) {
      if (!need || !dy) return [null];
      const [, h, w] = shape;
      return [tf.pad(dy, [[0, 0], [begin[0], h - end[0]], [begin[1], w - end[1]], [0, 0]]) as T4];
    },
    params: none,
  };
}

/** N×H×W×C → N×1×1×(C·H·W) in NCHW order, as ONNX Flatten reads an NCHW tensor. */
export function flattenUnit(): GraphUnit {
  let shape: [number, number, number, number] = [0, 0, 0, 0];
  return {
    forward([x]) {
      shape = x.shape;
      const [n, h, w, c] = shape;
      return [tf.tidy(() => tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, 1, 1, c * h * w]) as T4)];
    },
    backward([dy], [need]) {
      if (!need || !dy) return [null];
      const [n, h, w, c] = shape;
      return [tf.tidy(() => tf.transpose(tf.reshape(dy, [n, c, h, w]), [0, 2, 3, 1]) as T4)];
    },
    params: none,
  };
}

/** sigmoid, or hard sigmoid relu6(x + 3) / 6 (ONNX HardSigmoid with alpha 1/6, beta 0.5). */
export function gateUnit(kind: 'sigmoid' | 'hsigmoid'): GraphUnit {
  let saved: { x: T4; y: T4 } | undefined;
  return {
    forward([x], ctx) {
      const y = kind === 'sigmoid' ? (tf.sigmoid(x) as T4) : (tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6)) as T4);
      if (ctx) saved = { x: ctx.save(x), y: ctx.save(y) };
      return [y];
    },
    backward([dy], [need]) {
      const { x, y } = saved!;
      saved = undefined;
      if (!need || !dy) return [null];
      return [
        tf.tidy(() =>
          kind === 'sigmoid'
            ? (tf.mul(dy, tf.mul(y, tf.sub(1, y))) as T4)
            : (tf.mul(dy, tf.div(tf.cast(tf.logicalAnd(tf.greater(x, -3), tf.less(x, 3)), 'float32'), 6)) as T4),
        ),
      ];
    },
    params: none,
  };
}
