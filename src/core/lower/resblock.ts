/**
 * resblock: NAS-Bench-201's ResNetBasicblock. Branch: ReLU-conv3x3(stride)-BN, ReLU-conv3x3-BN.
 * Shortcut: avg pool 2×2 stride 2 (ceil mode) + conv1x1 (no BN, no bias) when stride 2; ReLU-conv1x1-BN
 * when the channels change at stride 1; the input otherwise. Output: shortcut + branch.
 */
import type { ResBlockSpec } from '../specs.js';
import { RESIDUAL_GAIN } from './gains.js';
import { reluConvBn } from './reluconv.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const resblock: Lowering<ResBlockSpec> = {
  fields: [f('cout', 'c', 'int'), f('stride', 's', 'int')],
  lower(b, s, [x], id) {
    const cin = b.shape(x)[1];
    const a = reluConvBn(b, x, `${id}.conv_a`, s.cout, 3, s.stride);
    const branch = reluConvBn(b, a, `${id}.conv_b`, s.cout, 3, 1, RESIDUAL_GAIN);
    let shortcut = x;
    if (s.stride !== 1) {
      // ceil mode keeps ceil(H/2) rows on odd sizes, matching the strided 3x3 branch (convOut in ops.ts).
      const pooled = b.node(`${id}.shortcut.pool`, { op: 'pool', mode: 'avg', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0], ceil: true, countIncludePad: false }, [x]);
      shortcut = b.conv(pooled, `${id}.shortcut.conv`, s.cout, { k: 1, gain: 1, bias: false });
    } else if (cin !== s.cout) {
      shortcut = reluConvBn(b, x, `${id}.shortcut`, s.cout, 1, 1);
    }
    return b.add([shortcut, branch], `${id}.add`);
  },
};
