/** ResNet-18/50 and ResNeXt-50 (torchvision `resnet.py`: stride on the 3×3 of a bottleneck, "v1.5"). */
import type { OpSpec } from '../../core/ops.js';
import { arch, conv, head, layers, maxPool, torchvisionFigures, type SeedNet } from './types.js';

const TV = 'pytorch/vision torchvision/models/resnet.py';

function resnet(name: string, depths: number[], block: (stage: number, stride: number) => OpSpec): SeedNet['build'] {
  return ({ resolution, classes }) => {
    const body: OpSpec[] = [];
    depths.forEach((d, stage) => {
      for (let i = 0; i < d; i++) body.push(block(stage, i === 0 && stage > 0 ? 2 : 1));
    });
    return arch(name, resolution, [...layers('stem', [conv(64, 7, 2), maxPool(3, 2)]), ...layers('block', body), ...head(classes)]);
  };
}

const WIDTHS = [64, 128, 256, 512];

export const RESNETS: SeedNet[] = [
  {
    name: 'ResNet-18',
    definition: `${TV} resnet18 (BasicBlock, [2, 2, 2, 2])`,
    resolution: 224,
    published: {
      params: { value: 11_689_512, source: `${TV} ResNet18_Weights.IMAGENET1K_V1 num_params` },
      macs: { value: 1.814e9, source: `${TV} ResNet18_Weights.IMAGENET1K_V1 _ops (GFLOPS, counted as MACs)` },
    },
    build: resnet('ResNet-18', [2, 2, 2, 2], (s, stride) => ({ kind: 'basic', cout: WIDTHS[s], stride })),
  },
  {
    name: 'ResNet-50',
    definition: `${TV} resnet50 (Bottleneck, [3, 4, 6, 3])`,
    resolution: 224,
    published: torchvisionFigures(TV, 'ResNet50_Weights', 25_557_032, 4.089e9),
    build: resnet('ResNet-50', [3, 4, 6, 3], (s, stride) => ({ kind: 'bottleneck', cout: 4 * WIDTHS[s], stride, mid: WIDTHS[s], groups: 1, se: 0 })),
  },
  {
    name: 'ResNeXt-50-32x4d',
    definition: `${TV} resnext50_32x4d (Bottleneck, [3, 4, 6, 3], groups 32, width_per_group 4)`,
    resolution: 224,
    published: torchvisionFigures(TV, 'ResNeXt50_32X4D_Weights', 25_028_904, 4.23e9),
    // width = planes · width_per_group / 64 · groups: 128, 256, 512, 1024.
    build: resnet('ResNeXt-50-32x4d', [3, 4, 6, 3], (s, stride) => ({ kind: 'bottleneck', cout: 4 * WIDTHS[s], stride, mid: 2 * WIDTHS[s], groups: 32, se: 0 })),
  },
];
