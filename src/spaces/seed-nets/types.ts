/** A published network of the seed catalog: how to build it, where its definition comes from, what its authors report. */
import { classifierHead, type Architecture, type Layer } from '../../core/arch.js';
import type { OpSpec } from '../../core/ops.js';

export interface Figure {
  /** The figure as published (parameters, or multiply-accumulates for a 224-px input unless `resolution` says otherwise). */
  value: number;
  /** Where it is published: repository file and field, or paper and table. */
  source: string;
  /** The unit of the last digit the source gives (e.g. 1e5 for "2.7M"); absent: the figure is exact or to three significant digits or better. */
  unit?: number;
}

export interface SeedNet {
  name: string;
  /** The definition the architecture follows (repository, file, function or config). */
  definition: string;
  resolution: number;
  /**
   * The entry of ../shared/data/published-nets this net builds where that list's own converter cannot (its blocks
   * are seed kinds) and the names differ; `--published` with that entry's name then points here.
   */
  reference?: string;
  /** Parameters with BatchNorm folded into the convolutions (a deployed net's count), and MACs at `resolution`. */
  published: { params: Figure; macs: Figure };
  build(opts: { resolution: number; classes: number }): Architecture;
}

/** The seed nets' plain conv (src/core/arch.ts). */
export { convSpec as conv } from '../../core/arch.js';

export const maxPool = (k: number, stride: number, extra: { pad?: number; ceil?: boolean } = {}): OpSpec => ({ kind: 'pool', mode: 'max', k, stride, ...extra });

/** The usual classifier: global average pool, then a linear layer. */
export const head = (classes: number): Layer[] => layers('head', classifierHead(classes));

export const layers = (role: Layer['role'], specs: OpSpec[]): Layer[] => specs.map((spec) => ({ role, spec }));

export function arch(name: string, resolution: number, list: Layer[]): Architecture {
  return { name, input: [1, 3, resolution, resolution], dtype: 'f32', layers: list };
}

/** The figures torchvision publishes for a weights enum (`num_params` and `_ops` of its IMAGENET1K_V1 meta); `file`: where. */
export function torchvisionFigures(file: string, weights: string, params: number, macs: number): SeedNet['published'] {
  return {
    params: { value: params, source: `${file} ${weights}.IMAGENET1K_V1 num_params` },
    macs: { value: macs, source: `${file} ${weights}.IMAGENET1K_V1 _ops` },
  };
}
