/** act: an element-wise activation (see PRIM_ACTS). */
import { PRIM_ACTS, type ActPrim } from '../types.js';
import type { PrimitiveDef } from './def.js';

export const act: PrimitiveDef<ActPrim> = {
  arity: [1, 1],
  convLike: false,
  outputs(p, [x]) {
    if (!(PRIM_ACTS as readonly string[]).includes(p.act)) throw new Error(`unknown activation '${p.act}'; known: ${PRIM_ACTS.join(', ')}`);
    return [x];
  },
  macs: () => 0,
  params: () => [],
};
