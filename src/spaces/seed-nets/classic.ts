/** SqueezeNet 1.1, GoogLeNet (Inception v1) and MobileNetV1 1.0. */
import type { OpSpec } from '../../core/ops.js';
import { arch, conv, head, layers, maxPool, torchvisionFigures, type SeedNet } from './types.js';

const TV = 'pytorch/vision torchvision/models';

const fire = (squeeze: number, e: number): OpSpec => ({ kind: 'fire', squeeze, e1: e, e3: e });
const ceilPool = () => maxPool(3, 2, { pad: 0, ceil: true });

function squeezenet({ resolution, classes }: { resolution: number; classes: number }) {
  const body = [ceilPool(), fire(16, 64), fire(16, 64), ceilPool(), fire(32, 128), fire(32, 128), ceilPool(), fire(48, 192), fire(48, 192), fire(64, 256), fire(64, 256)];
  // The classifier is a 1×1 conv with ReLU, then global average pooling (no linear layer).
  return arch('SqueezeNet-1.1', resolution, [
    ...layers('stem', [conv(64, 3, 2, 'relu', { pad: 0 })]),
    ...layers('block', body),
    ...layers('head', [conv(classes, 1, 1), { kind: 'gpool', mode: 'avg' }]),
  ]);
}

const inception = (c1: number, c3r: number, c3: number, c5r: number, c5: number, pp: number): OpSpec => ({ kind: 'inception', c1, c3r, c3, c5r, c5, k5: 3, pp });

function googlenet({ resolution, classes }: { resolution: number; classes: number }) {
  const body: OpSpec[] = [
    inception(64, 96, 128, 16, 32, 32),
    inception(128, 128, 192, 32, 96, 64),
    ceilPool(),
    inception(192, 96, 208, 16, 48, 64),
    inception(160, 112, 224, 24, 64, 64),
    inception(128, 128, 256, 24, 64, 64),
    inception(112, 144, 288, 32, 64, 64),
    inception(256, 160, 320, 32, 128, 128),
    maxPool(2, 2, { pad: 0, ceil: true }),
    inception(256, 160, 320, 32, 128, 128),
    inception(384, 192, 384, 48, 128, 128),
  ];
  return arch('GoogLeNet', resolution, [...layers('stem', [conv(64, 7, 2), ceilPool(), conv(64, 1, 1), conv(192, 3, 1), ceilPool()]), ...layers('block', body), ...head(classes)]);
}

function mobilenetV1({ resolution, classes }: { resolution: number; classes: number }) {
  const plan: [number, number][] = [[64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1]];
  // Each depthwise-separable layer is dw 3×3 + BN + ReLU, then pw 1×1 + BN + ReLU (the pw has its ReLU, unlike `dwsep`).
  const body = plan.flatMap(([cout, stride]): OpSpec[] => [{ kind: 'dwconv', k: 3, stride, dilation: 1, act: 'relu' }, conv(cout, 1, 1)]);
  return arch('MobileNetV1-1.0', resolution, [...layers('stem', [conv(32, 3, 2)]), ...layers('block', body), ...head(classes)]);
}

export const CLASSICS: SeedNet[] = [
  {
    name: 'SqueezeNet-1.1',
    definition: `${TV}/squeezenet.py squeezenet1_1`,
    resolution: 224,
    published: torchvisionFigures(`${TV}/squeezenet.py`, 'SqueezeNet1_1_Weights', 1_235_496, 0.349e9),
    build: squeezenet,
  },
  {
    name: 'GoogLeNet',
    definition: `${TV}/googlenet.py googlenet (BatchNorm, no auxiliary heads; its "5×5" branch is 3×3, kept so the figures match)`,
    resolution: 224,
    published: torchvisionFigures(`${TV}/googlenet.py`, 'GoogLeNet_Weights', 6_624_904, 1.498e9),
    build: googlenet,
  },
  {
    name: 'MobileNetV1-1.0',
    definition: 'Howard et al. 2017, "MobileNets", Table 1 (width 1.0, 224 px)',
    resolution: 224,
    published: {
      params: { value: 4.2e6, source: 'Howard et al. 2017, Table 8: 1.0 MobileNet-224, 4.2 million parameters', unit: 1e5 },
      macs: { value: 569e6, source: 'Howard et al. 2017, Table 8: 1.0 MobileNet-224, 569 million mult-adds' },
    },
    build: mobilenetV1,
  },
];
