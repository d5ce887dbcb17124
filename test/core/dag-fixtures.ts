/** A DAG architecture: an Inception-style block (three branches joined by concat) and a two-input residual sum. */
import type { Architecture } from '../../src/core/arch.js';

export const INCEPTION_DAG: Architecture = {
  name: 'inception-dag',
  input: [1, 3, 32, 32],
  dtype: 'f32',
  layers: [
    { role: 'stem', spec: { kind: 'conv', cout: 16, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu6' } },
    { role: 'block', id: 'branch1x1', inputs: ['layer0'], spec: { kind: 'conv', cout: 8, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' } },
    { role: 'block', id: 'branch3x3', inputs: ['layer0'], spec: { kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 3, se: 0, act: 'relu6', skip: false } },
    { role: 'block', id: 'branch_pool', inputs: ['layer0'], spec: { kind: 'pool', mode: 'max', k: 3, stride: 1 } },
    { role: 'block', id: 'mixed', inputs: ['branch1x1', 'branch3x3', 'branch_pool'], spec: { kind: 'concat', channels: [8, 8, 16] } },
    { role: 'block', id: 'project', spec: { kind: 'conv', cout: 16, k: 1, stride: 1, groups: 1, dilation: 1, act: 'none' } },
    { role: 'block', id: 'residual', inputs: ['project', 'layer0'], spec: { kind: 'sum', arity: 2 } },
    { role: 'head', spec: { kind: 'conv', cout: 32, k: 1, stride: 1, groups: 1, dilation: 1, act: 'hswish' } },
    { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
    { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
  ],
};
