/** identity: no primitive at all; the block's output is its input. */
import type { IdentitySpec } from '../ops.js';
import type { Lowering } from './types.js';

export const identity: Lowering<IdentitySpec> = {
  lower: (_b, _s, [x]) => x,
};
