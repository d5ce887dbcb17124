/**
 * Kind → lowering for the seed-network kinds (issue 11), and one block lowered on its own. This is the table
 * line each kind gets; it joins the one lowering table of every kind when the architecture lowering lands.
 */
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import type { SeedKind, SeedSpec, Shape } from '../ops.js';
import { lowerBasic } from './basic.js';
import { lowerBottleneck } from './bottleneck.js';
import { lowerDilConv } from './dilconv.js';
import { lowerFactConv } from './factconv.js';
import { lowerFire } from './fire.js';
import { lowerInception } from './inception.js';
import { lowerNorm } from './norm.js';
import { lowerSepConv } from './sepconv.js';
import { lowerShuffleV2 } from './shufflev2.js';

export type Lowering<S> = (g: GraphBuilder, spec: S, inputs: readonly string[], id: string) => string;

export const SEED_LOWERINGS: { readonly [K in SeedKind]: Lowering<Extract<SeedSpec, { kind: K }>> } = {
  basic: lowerBasic,
  bottleneck: lowerBottleneck,
  shufflev2: lowerShuffleV2,
  fire: lowerFire,
  inception: lowerInception,
  factconv: lowerFactConv,
  dilconv: lowerDilConv,
  sepconv: lowerSepConv,
  norm: lowerNorm,
};

/** Lowers `spec` into `g` (the table is keyed by kind, so the entry matches; TypeScript cannot see that). */
export function lowerSeed(g: GraphBuilder, spec: SeedSpec, inputs: readonly string[], id: string): string {
  return (SEED_LOWERINGS[spec.kind] as Lowering<SeedSpec>)(g, spec, inputs, id);
}

/** One block applied to an input of `shape`, as a graph of its own (input `x`, one output). */
export function seedGraph(spec: SeedSpec, shape: Shape, id = 'block'): Graph {
  const g = new GraphBuilder();
  const out = lowerSeed(g, spec, [g.input('x', shape)], id);
  return g.build([out]);
}
