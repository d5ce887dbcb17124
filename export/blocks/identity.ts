/** identity: an Identity node (runtimes drop it; what remains to time is the session's own overhead). */
import type { IdentitySpec } from '../../src/core/ops.js';
import type { BlockEmitter } from './layers.js';

export const emitIdentity: BlockEmitter<IdentitySpec> = (ctx, _spec, x, _shape, prefix) => ctx.g.addNode('Identity', [x], `${prefix}.identity`);
