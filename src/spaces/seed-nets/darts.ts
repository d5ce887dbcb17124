/** DARTS-V2 (Liu et al., ICLR 2019): the second-order DARTS cells in the ImageNet network (14 cells, C = 48). */
import { dartsNetwork, type DartsGenotype } from '../darts-net.js';
import type { SeedNet } from './types.js';

const REPO = 'quark0/darts cnn';

/** genotypes.py DARTS_V2, written as cell strings (src/core/darts-cell.ts). */
export const DARTS_V2: DartsGenotype = {
  normal: '|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~1|skip_connect~0|+|skip_connect~0|dil_conv_3x3~2|',
  reduce: '|max_pool_3x3~0|max_pool_3x3~1|+|skip_connect~2|max_pool_3x3~1|+|max_pool_3x3~0|skip_connect~2|+|skip_connect~2|max_pool_3x3~1|',
};

export const DARTS_NETS: SeedNet[] = [
  {
    name: 'DARTS-V2',
    definition: `${REPO}/genotypes.py DARTS_V2 in ${REPO}/model.py NetworkImageNet(C=48, layers=14), without the auxiliary head`,
    resolution: 224,
    published: {
      params: { value: 4.7e6, source: 'Liu et al. 2019, "DARTS", Table 3: DARTS (second order), 4.7M params (BatchNorm affine parameters included)', unit: 1e5 },
      // The paper's Table 3 gives 574M multiply-adds, which counting the released network does not reproduce: its
      // convolutions, pools and sums come to 532.4M here, and imgclsmob, counting quark0/darts' released weights
      // (4,718,752 parameters), gives 539.86M. That independent count is the figure checked.
      macs: { value: 539.86e6, source: 'osmr/imgclsmob pytorch/README.md, ImageNet-1K table, DARTS (from quark0/darts): 539.86M (the paper\'s Table 3 says 574M)' },
    },
    build: ({ resolution, classes }) => dartsNetwork(DARTS_V2, { name: 'DARTS-V2', resolution, classes, cells: 14, channels: 48, stem: 'imagenet' }),
  },
];
