/** NASNet-A-Mobile (Zoph et al., CVPR 2018): NASNet-A's cells in the ImageNet network, 4 @ 1056 (N = 4, F = 44). */
import { nasnetNetwork, type NasnetGenotype } from '../nasnet-net.js';
import type { SeedNet } from './types.js';

const SLIM = 'tensorflow/models research/slim/nets/nasnet';

/**
 * nasnet_utils.py NasNetANormalCell / NasNetAReductionCell as cell strings (src/core/nasnet-cell.ts). Slim's
 * hidden state 0 is h_i (after its 1×1 conv) and 1 is h_{i-1}, the reverse of ours, so its hiddenstate_indices
 * have 0 and 1 swapped here. Its concatenated states are fixed by used_hiddenstates, which marks states the
 * blocks read as unused too (the normal cell concatenates h_{i-1}, the reduction cell block 3): the '>' lists.
 */
export const NASNET_A: NasnetGenotype = {
  normal: '|sep_conv_5x5~1|sep_conv_3x3~0|+|sep_conv_5x5~0|sep_conv_3x3~0|+|avg_pool_3x3~1|identity~0|+|avg_pool_3x3~0|avg_pool_3x3~0|+|sep_conv_3x3~1|identity~1|>0,2,3,4,5,6',
  reduce: '|sep_conv_5x5~1|sep_conv_7x7~0|+|max_pool_3x3~1|sep_conv_7x7~0|+|avg_pool_3x3~1|sep_conv_5x5~0|+|identity~3|avg_pool_3x3~2|+|sep_conv_3x3~2|max_pool_3x3~1|>3,4,5,6',
};

export const NASNET_NETS: SeedNet[] = [
  {
    name: 'NASNet-A-Mobile',
    definition: `${SLIM}/nasnet.py build_nasnet_mobile (num_cells 12, num_conv_filters 44, stem_multiplier 1, ImageNet stem with 2 stem cells) and nasnet_utils.py NASNet-A cells, without the auxiliary head, drop-path, dropout and the final ReLU`,
    resolution: 224,
    published: {
      // The paper's Table 2 gives 5.3M. The released weights, as Keras's NASNetMobile (converted from slim's
      // checkpoint) counts them: 5,326,716 parameters of which 36,738 non-trainable (BatchNorm's moving mean
      // and variance, so 18,369 BatchNorm channels). Folding each BatchNorm into its conv leaves one bias per
      // channel: 5,326,716 − 3 × 18,369 = 5,271,609, the figure checked.
      params: { value: 5_271_609, source: 'Keras applications NASNetMobile summary (5,326,716 total, 36,738 non-trainable) with BatchNorm folded; Zoph et al. 2018 Table 2: 5.3M' },
      macs: { value: 564e6, source: 'Zoph et al. 2018, Table 2: NASNet-A (4 @ 1056), 564M mult-adds (also Cadene pretrainedmodels nasnet_mobile.py)' },
    },
    build: ({ resolution, classes }) => nasnetNetwork(NASNET_A, { name: 'NASNet-A-Mobile', resolution, classes, normalCells: 4, filters: 44, stem: 'imagenet' }),
  },
];
