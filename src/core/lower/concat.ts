/** concat: channel concatenation of its inputs (equal N, H, W), in the order the node lists them. */
import type { ConcatSpec } from '../ops.js';
import type { Lowering } from './types.js';

export const concat: Lowering<ConcatSpec> = {
  lower(b, s, xs, id) {
    const got = xs.map((x) => b.shape(x)[1]);
    if (got.join(',') !== s.channels.join(','))
      throw new Error(`${id}: concat of channels [${s.channels.join(', ')}] got inputs with [${got.join(', ')}]`);
    return b.concat(xs, `${id}.concat`);
  },
};
