/**
 * The tfjs program of every catalog kind (and of a network) runs in tfjs and gives the output shape the
 * catalog says, run here in Node on tfjs's cpu backend through the very interpreter the page uses.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsProgram, tfjsSupports, type TfProgram } from '../../devices/browser/tfjs-program.js';
import { networkModel, opModel } from '../../export/model.js';
import { placeLayers, type Architecture } from '../../src/core/arch.js';
import { LEGACY_KINDS } from '../../src/core/keys.js';
import { instance, outputShape, type OpInstance, type OpKind } from '../../src/core/ops.js';

// Plain browser JS from the page folder; it takes tf as an argument, so it runs in Node as well.
const { runProgram } = (await import('../../devices/browser/page/tfjs-runner.js' as string)) as {
  runProgram: (t: typeof tf, p: TfProgram, w: tf.Tensor[], x: tf.Tensor[]) => tf.Tensor;
};

const CATALOG: Record<OpKind, OpInstance> = {
  conv: instance({ kind: 'conv', cout: 12, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu' }, [1, 8, 9, 9]),
  dwconv: instance({ kind: 'dwconv', k: 5, stride: 1, dilation: 2, act: 'relu6' }, [1, 8, 9, 9]),
  dwsep: instance({ kind: 'dwsep', cout: 16, k: 3, stride: 2, se: 0.25, act: 'swish', skip: false }, [1, 8, 9, 9]),
  mbconv: instance({ kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: true }, [1, 8, 9, 9]),
  pool: instance({ kind: 'pool', mode: 'avg', k: 3, stride: 2 }, [1, 8, 9, 9]),
  gpool: instance({ kind: 'gpool', mode: 'max' }, [1, 8, 9, 9]),
  identity: instance({ kind: 'identity' }, [1, 8, 9, 9]),
  zero: instance({ kind: 'zero', stride: 2 }, [1, 8, 9, 9]),
  linear: instance({ kind: 'linear', cout: 10, act: 'relu' }, [1, 32, 1, 1]),
  se: instance({ kind: 'se', ratio: 0.25, act: 'relu' }, [1, 16, 5, 5]),
  reluconv: instance({ kind: 'reluconv', cout: 8, k: 3, stride: 1 }, [1, 8, 9, 9]),
  concat: instance({ kind: 'concat', channels: [8, 4] }, [1, 8, 9, 9]),
  sum: instance({ kind: 'sum', arity: 3 }, [1, 8, 9, 9]),
  nb201cell: instance({ kind: 'nb201cell', cell: '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|' }, [1, 8, 9, 9]),
  resblock: instance({ kind: 'resblock', cout: 16, stride: 2 }, [1, 8, 9, 9]),
};

function run(program: TfProgram): number[] {
  return tf.tidy(() => {
    const weights = program.weights.map((shape) => tf.randomUniform(shape, -0.1, 0.1));
    const feeds = program.inputs.map((shape) => tf.randomUniform(shape));
    const y = runProgram(tf, program, weights, feeds);
    expect(y.dtype).toBe('float32');
    return y.shape;
  });
}

const nhwc = (s: readonly number[]) => [s[0], s[2], s[3], s[1]];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('tfjs programs', () => {
  it.each(LEGACY_KINDS.filter((k) => tfjsSupports(CATALOG[k]) === true))('%s runs and has the catalog output shape', (kind) => {
    const inst = CATALOG[kind];
    const program = tfjsProgram(opModel(inst));
    expect(run(program)).toEqual(nhwc(outputShape(inst.spec, inst.input)));
  });

  it('a one-op sum adds its separate inputs; identity has no steps', () => {
    const sum = tfjsProgram(opModel(CATALOG.sum));
    expect(sum.inputs).toHaveLength(3);
    expect(sum.steps).toEqual([{ op: 'addN', xs: [0, 1, 2] }]);
    expect(tfjsProgram(opModel(CATALOG.identity)).steps).toEqual([]);
  });

  it('fuses relu into the conv but keeps h-swish a separate step', () => {
    const relu = tfjsProgram(opModel(CATALOG.conv)).steps;
    expect(relu).toEqual([expect.objectContaining({ op: 'conv', act: 'relu', stride: 2, pad: 1 })]);
    const hswish = tfjsProgram(opModel(instance({ kind: 'conv', cout: 8, k: 1, stride: 1, groups: 1, dilation: 1, act: 'hswish' }, [1, 8, 4, 4]))).steps;
    expect(hswish.map((s) => s.op)).toEqual(['conv', 'act']);
  });

  it('runs a grouped conv as one conv per group', () => {
    const inst = instance({ kind: 'conv', cout: 12, k: 3, stride: 1, groups: 4, dilation: 1, act: 'none' }, [1, 8, 6, 6]);
    const program = tfjsProgram(opModel(inst));
    expect(program.steps[0]).toMatchObject({ op: 'groupconv', groups: 4 });
    expect(program.weights.filter((w) => w.length === 4)).toHaveLength(4);
    expect(run(program)).toEqual(nhwc(outputShape(inst.spec, inst.input)));
  });

  it('chains a network', () => {
    const arch: Architecture = {
      name: 'net',
      input: [1, 3, 16, 16],
      dtype: 'f32',
      layers: [
        { role: 'stem', spec: { kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu6' } },
        { role: 'block', spec: { kind: 'mbconv', cout: 8, k: 5, stride: 1, expand: 6, se: 0.25, act: 'swish', skip: true } },
        { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
        { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
      ],
    };
    const placed = placeLayers(arch);
    expect(run(tfjsProgram(networkModel(arch)))).toEqual(nhwc(placed[placed.length - 1].output));
  });

  it('refuses a conv with both a stride and a dilation above 1, saying why', () => {
    const inst = instance({ kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 2, act: 'relu' }, [1, 8, 9, 9]);
    expect(tfjsSupports(inst)).toMatch(/stride 2 and dilation 2/);
    expect(tfjsSupports(CATALOG.mbconv)).toBe(true);
  });
});
