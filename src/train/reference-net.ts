/**
 * The reference network training speed is measured on (bench/train-step.ts, docs/training.md): a
 * small MBConv net for 28x28x1 images. Stem conv3x3 16, ten MBConv blocks (16-64 channels, stride 2
 * in three places, one with SE, one with hswish, k3 and k5), head conv1x1 128, global pool, linear.
 */
import { chainArch, classifierHead, convSpec, type Architecture } from '../core/arch.js';
import type { Act, MBConvSpec } from '../core/ops.js';

const mb = (cout: number, k: number, stride: number, expand: number, skip: boolean, se = 0, act: Act = 'relu6'): MBConvSpec => ({ kind: 'mbconv', cout, k, stride, expand, se, act, skip });

export function referenceNet(classes = 10, channels = 1, resolution = 28): Architecture {
  return chainArch('ref-mbconv-10', [1, channels, resolution, resolution], {
    stem: [convSpec(16, 3, 1, 'relu6')],
    blocks: [
      mb(16, 3, 1, 1, true),
      mb(24, 3, 2, 3, false),
      mb(24, 3, 1, 3, true),
      mb(32, 5, 2, 3, false),
      mb(32, 3, 1, 3, true, 0.25),
      mb(32, 3, 1, 3, true),
      mb(48, 3, 2, 3, false, 0, 'hswish'),
      mb(48, 5, 1, 3, true),
      mb(64, 3, 1, 3, false),
      mb(64, 3, 1, 3, true),
    ],
    head: [convSpec(128, 1, 1, 'relu6'), ...classifierHead(classes)],
  });
}
