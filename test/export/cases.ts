/** A spread of op instances covering every kind and the parameters that change the exported graph. */
import { ACTS, instance, type OpInstance, type OpSpec, type Shape } from '../../src/core/ops.js';

export const CELLS = [
  '|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|',
  '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|',
  // node 1 has only none edges (zeros) and feeds node 2's conv and node 3's pool.
  '|none~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_1x1~0|avg_pool_3x3~1|none~2|',
  '|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|',
  '|nor_conv_1x1~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|',
];

export function exportCases(): OpInstance[] {
  const out: OpInstance[] = [];
  const add = (spec: OpSpec, input: Shape) => out.push(instance(spec, input));
  const x: Shape = [1, 8, 9, 9];
  for (const act of ACTS) add({ kind: 'conv', cout: 8, k: 3, stride: 1, groups: 1, dilation: 1, act }, x);
  for (const k of [1, 2, 3, 4, 5, 6, 7]) add({ kind: 'conv', cout: 12, k, stride: 2, groups: 1, dilation: 1, act: 'relu' }, x);
  add({ kind: 'conv', cout: 16, k: 3, stride: 1, groups: 4, dilation: 2, act: 'relu6' }, x);
  add({ kind: 'conv', cout: 4, k: 5, stride: 2, groups: 2, dilation: 3, act: 'none' }, [2, 6, 11, 11]);
  for (const k of [3, 5, 7]) add({ kind: 'dwconv', k, stride: k === 5 ? 2 : 1, dilation: k === 3 ? 2 : 1, act: 'hswish' }, x);
  for (const act of ACTS)
    for (const se of [0, 0.25])
      for (const [stride, skip] of [[1, true], [2, false], [1, false]] as const)
        add({ kind: 'mbconv', cout: skip ? 8 : 16, k: stride === 2 ? 5 : 3, stride, expand: act === 'relu' ? 1 : 6, se, act, skip }, x);
  add({ kind: 'mbconv', cout: 8, k: 7, stride: 1, expand: 2.5, se: 0.25, act: 'hswish', skip: true }, x);
  for (const se of [0, 0.25])
    for (const skip of [false, true]) add({ kind: 'dwsep', cout: 8, k: 3, stride: 1, se, act: 'swish', skip }, x);
  add({ kind: 'dwsep', cout: 16, k: 5, stride: 2, se: 0, act: 'relu', skip: false }, x);
  for (const mode of ['avg', 'max'] as const) {
    for (const [k, stride] of [[3, 1], [3, 2], [2, 2], [5, 1]]) add({ kind: 'pool', mode, k, stride }, x);
    add({ kind: 'gpool', mode }, x);
  }
  add({ kind: 'identity' }, x);
  add({ kind: 'zero', stride: 1 }, x);
  add({ kind: 'zero', stride: 2 }, x);
  for (const act of ['none', 'relu'] as const) add({ kind: 'linear', cout: 10, act }, [2, 32, 1, 1]);
  add({ kind: 'se', ratio: 0.25, act: 'relu' }, x);
  add({ kind: 'se', ratio: 0.5, act: 'hswish' }, x);
  for (const k of [1, 3]) add({ kind: 'reluconv', cout: 8, k, stride: 1 }, x);
  add({ kind: 'reluconv', cout: 16, k: 3, stride: 2 }, x);
  for (const arity of [1, 2, 3]) add({ kind: 'sum', arity }, x);
  add({ kind: 'concat', channels: [8, 4, 12] }, x);
  add({ kind: 'concat', channels: [8] }, x);
  for (const cell of CELLS) add({ kind: 'nb201cell', cell }, [1, 8, 8, 8]);
  add({ kind: 'resblock', cout: 16, stride: 2 }, [1, 8, 8, 8]);
  add({ kind: 'resblock', cout: 16, stride: 2 }, x);
  add({ kind: 'resblock', cout: 16, stride: 1 }, x);
  add({ kind: 'resblock', cout: 8, stride: 1 }, x);
  return out;
}
