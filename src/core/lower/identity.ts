/** identity: no primitive at all; the block's output is its input. */
import type { IdentitySpec } from '../specs.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const identity: Lowering<IdentitySpec> = {
  fields: [],
  lower: (_b, _s, [x]) => x,
};
