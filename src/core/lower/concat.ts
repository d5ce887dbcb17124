/** concat: channel concatenation of its inputs (equal N, H, W), in the order the node lists them. */
import { UserError } from '../errors.js';
import type { ConcatSpec } from '../specs.js';
import type { Lowering } from './types.js';
import { f } from '../key-fields.js';

export const concat: Lowering<ConcatSpec> = {
  fields: [f('channels', 'c', 'ints')],
  inputs(s, [n, c, h, w]) {
    if (!Array.isArray(s.channels) || s.channels.length < 1 || !s.channels.every((k) => Number.isInteger(k) && k > 0))
      throw new UserError(`concat: channels must be a non-empty list of positive integers, got ${JSON.stringify(s.channels)}`);
    if (s.channels[0] !== c) throw new UserError(`concat: its first input has ${c} channels, the spec says ${s.channels[0]}`);
    return s.channels.map((k) => [n, k, h, w] as const);
  },
  lower(b, s, xs, id) {
    const got = xs.map((x) => b.shape(x)[1]);
    if (got.join(',') !== s.channels.join(','))
      throw new Error(`${id}: concat of channels [${s.channels.join(', ')}] got inputs with [${got.join(', ')}]`);
    return b.concat(xs, `${id}.concat`);
  },
};
