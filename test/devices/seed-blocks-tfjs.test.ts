/**
 * Every seed block kind (issue 11) computes in the tfjs program what its ONNX export computes in onnxruntime
 * (max |Δ| ≤ 1e-4 on the same weights and input), on the tfjs cpu backend. Includes both ShuffleNetV2 forms and
 * SPOS's Xception block at both strides, the hard-sigmoid SE, FBNet's grouped pointwise mbconv, and NASNet-A-Mobile's
 * odd-size FactorizedReduce and stem cell, and NASNet cells whose blocks concatenate.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { opModel } from '../../export/model.js';
import { instance, SEED_KINDS, type OpInstance } from '../../src/core/ops.js';
import { CATALOG, NASNET_CONCAT_NORMAL, NASNET_CONCAT_REDUCE } from '../fixtures/catalog.js';
import { tfjsVersusOnnx } from '../core/tf-parity.js';
import { NASNET_A } from '../../src/spaces/seed-nets/nasnet.js';

const x = [1, 8, 9, 9] as const;
const CIFAR_FIRST_CELL = '|max_pool_5x5~0|identity~1|+|identity~0|avg_pool_3x3~2|+|sep_conv_3x3~0|identity~3|+|avg_pool_3x3~4|identity~1|+|max_pool_3x3~0|conv_1x1~5|';
const CIFAR_UNUSED_STEM = '|avg_pool_3x3~1|identity~1|+|sep_conv_3x3~2|identity~1|+|identity~3|max_pool_3x3~2|+|conv_3x3~4|identity~4|+|sep_conv_5x5~5|identity~5|';
const CASES: OpInstance[] = [
  ...SEED_KINDS.map((k) => CATALOG[k]),
  instance({ kind: 'shufflev2', cout: 16, k: 3, stride: 2, mid: 8, side: 8, xception: false }, x),
  instance({ kind: 'shufflev2', cout: 8, k: 3, stride: 1, mid: 6, side: 4, xception: true }, x),
  instance({ kind: 'shufflev2', cout: 24, k: 3, stride: 2, mid: 6, side: 8, xception: true }, x),
  instance({ kind: 'bottleneck', cout: 16, stride: 2, mid: 16, groups: 4, se: 0 }, x),
  instance({ kind: 'basic', cout: 8, stride: 1 }, x),
  instance({ kind: 'norm', mode: 'instance' }, x),
  instance({ kind: 'pool', mode: 'max', k: 3, stride: 2, pad: 0, ceil: true }, x),
  instance({ kind: 'pool', mode: 'max', k: 7, stride: 1 }, x),
  instance({ kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu', pad: 0 }, x),
  instance({ kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: true, gate: 'hsigmoid' }, x),
  instance({ kind: 'mbconv', cout: 16, k: 5, stride: 1, expand: 3, se: 0, act: 'relu', skip: false, pwGroups: 2 }, x),
  // NASNet-A-Mobile's: FactorizedReduce on odd sizes, a sep conv narrowing its input, a stem cell on a wider input 0.
  instance({ kind: 'factreduce', cout: 8 }, [1, 6, 9, 7]),
  instance({ kind: 'sepconv', cout: 4, k: 7, stride: 2 }, [1, 12, 9, 9]),
  instance({ kind: 'nasnetcell', cell: NASNET_A.reduce, reduce: true, filters: 4 }, [1, 12, 9, 9]),
  // The CIFAR NASNet's first cell on the 3F-channel stem: a pool then 1×1 conv-BN to the filters, identity as a 1×1
  // conv, and (second cell) the unused stem concatenated through a 1×1 conv-BN.
  instance({ kind: 'pool', mode: 'max', k: 5, stride: 1, cout: 4 }, [1, 12, 9, 9]),
  instance({ kind: 'nasnetcell', cell: CIFAR_FIRST_CELL, reduce: false, filters: 4 }, [1, 12, 8, 8]),
  instance({ kind: 'nasnetcell', cell: CIFAR_UNUSED_STEM, reduce: false, filters: 4 }, [1, 12, 8, 8]),
  // NASNet blocks that concatenate their ops (2F), the reduction cell's last one widening its output states.
  instance({ kind: 'nasnetcell', cell: NASNET_CONCAT_NORMAL, reduce: false }, [1, 4, 8, 8]),
  instance({ kind: 'nasnetcell', cell: NASNET_CONCAT_REDUCE, reduce: true }, [1, 4, 8, 8]),
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('seed blocks: tfjs program vs onnxruntime', () => {
  it.each(CASES.map((c, i) => [`${i}:${c.spec.kind}`, c] as const))('%s agrees within 1e-4', async (_name, inst) => {
    const model = opModel(inst, { seed: 11 });
    const { worst, spread, shape, dims } = await tfjsVersusOnnx(model, 'cpu', 11);
    expect(shape).toEqual(dims);
    expect(worst).toBeLessThanOrEqual(1e-4);
    expect(spread).toBeGreaterThan(1e-3);
  });
});
