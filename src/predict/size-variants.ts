/**
 * Size variants of the calibration networks: each a prefix of one (its stem and first blocks) closed by a
 * classifier head, so the calibration also sees networks much smaller than the space's and networks whose
 * weight bytes do not follow their size. Random nets of one space differ little in size and all carry the
 * same head (every random mbv2 net its 4.9 MiB classifier), so a fit on them alone cannot tell a scale from a
 * per-network or per-weight-byte cost; a 0.7 ms RegNet net was then predicted +35% (docs/benchmarks.md, issue 13).
 *
 * Variant j (of `count`) keeps round(blocks · (j + 1) / (count + 1)) of its base net's blocks (at least one);
 * even j close with the base's head from its global pool on (pool and linear classifier: a few KiB of
 * weights), odd j with the whole head (the 1×1 conv to the head width included: the classifier's MiB of weights
 * on a small net). Chain networks whose head has a global pool only; others give none.
 *
 * Off by default (`nas profile --size-nets N`, bench/fidelity.ts --size-nets N): in the two runs measured with them
 * (docs/benchmarks.md, issue 13: the second space) the fits they allowed (a fitted per-weight-byte cost) predicted the
 * published nets worse, and the fits of before did not change for the RegNet nets.
 */
import { isChain, type Architecture, type Layer } from '../core/arch.js';

/** The suffix a size variant's name carries after its base's: `~cut<blocks>` (small head) or `~cut<blocks>+head`. */
export const SIZE_VARIANT = /~cut\d+(\+head)?$/;

export function sizeVariants(nets: readonly Architecture[], count: number): Architecture[] {
  const usable = nets.filter((n) => isChain(n) && headFromPool(n.layers) !== undefined && n.layers.some((l) => l.role === 'block'));
  if (!usable.length || count <= 0) return [];
  const out = new Map<string, Architecture>();
  for (let j = 0; j < count; j++) {
    const base = usable[j % usable.length];
    const blocks = base.layers.filter((l) => l.role === 'block');
    const keep = Math.max(1, Math.min(blocks.length, Math.round((blocks.length * (j + 1)) / (count + 1))));
    const whole = j % 2 === 1;
    const head = whole ? base.layers.filter((l) => l.role === 'head') : headFromPool(base.layers)!;
    const name = `${base.name}~cut${keep}${whole ? '+head' : ''}`;
    if (out.has(name)) continue;
    const layers: Layer[] = [...base.layers.filter((l) => l.role === 'stem'), ...blocks.slice(0, keep), ...head];
    out.set(name, { ...base, name, layers, space: undefined });
  }
  return [...out.values()];
}

/** The head's layers from its global pool on, or undefined when it has none. */
function headFromPool(layers: readonly Layer[]): Layer[] | undefined {
  const head = layers.filter((l) => l.role === 'head');
  const i = head.findIndex((l) => l.spec.kind === 'gpool');
  return i < 0 ? undefined : head.slice(i);
}
