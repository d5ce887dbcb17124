/**
 * A space seen layer by layer: which layers each decision places, derived from the space itself (one build
 * per option, every other decision at option 0). One-shot supernets (src/train/supernet/candidates.ts),
 * the differentiable strategies' mixed ops and the layer latency table (src/search/loss/layer-table.ts) all
 * read a space through this view, so they accept and refuse the same spaces, for the same reason.
 *
 * A space is layer-wise when its decisions are of two kinds and the options of each combine freely:
 *   layer decisions  one per searchable layer (role `block`), in the order of the layers: an option places
 *                    that one layer or leaves it out (a skip that keeps the shape); the layer's input shape
 *                    depends on no decision, and no option changes another layer (mbv2, proxyless,
 *                    shufflenetv2, FBNet's 22 layers);
 *   a head decision  at most one, whose options change the head only (FBNet's 1×1 conv of 1984 or 1504
 *                    channels, which also changes the classifier's input): each of its options is a whole
 *                    head, the chain of every head layer, with the same input (the last block's output) and
 *                    the same output (the class scores). A supernet keeps one head per option and mixes or
 *                    samples them like a layer's options; the latency table prices each head whole.
 * The stem is fixed. Anything else (a decision that changes several layers, shapes that follow earlier
 * choices: mnasnet's filters, regnet's and anynet's stage parameters, cells) is refused, saying why.
 */
import { isDeepStrictEqual } from 'node:util';
import { placeLayers, type Architecture, type PlacedLayer } from './arch.js';
import { UserError } from './errors.js';
import type { Shape } from './ops.js';
import type { SearchSpace } from './space.js';

export interface LayerwiseDecision {
  /** Index among the space's decisions. */
  index: number;
  name: string;
  options: string[];
  /** `block`: one searchable layer; `head`: the whole head. */
  at: 'block' | 'head';
  /** Input shape of the layer (block) or of the head: the same for every option. */
  input: Shape;
  /** The architecture of each option (this decision at the option, every other at option 0). */
  archs: Architecture[];
  /** The layers each option places, as placed in its architecture: one block or none (skip), or every head layer. */
  chains: PlacedLayer[][];
}

export interface LayerwiseView {
  space: SearchSpace;
  /** The architecture of option 0 everywhere. */
  base: Architecture;
  stem: PlacedLayer[];
  /** The head layers no decision changes: all of them, or none when there is a head decision. */
  head: PlacedLayer[];
  /** One entry per decision of the space, in the space's order. */
  decisions: LayerwiseDecision[];
}

/** What is layer-wise among the seed spaces, for hints. */
export const LAYERWISE_SPACES = 'mbv2, proxyless, fbnet, shufflenetv2';

/**
 * The refusal of a space that is not layer-wise. `consequence` says what cannot be done ("so a single-path
 * supernet cannot hold it"); the hint names the layer-wise spaces and, given `instead`, what works on this one.
 */
export function notLayerwise(spaceId: string, consequence: string, why: string, instead?: string): UserError {
  return new UserError(`space '${spaceId}' is not layer-wise, ${consequence}: ${why}`, {
    hint: `layer-wise spaces (one decision per searchable layer, optionally one for the head, layer shapes fixed) are ${LAYERWISE_SPACES}${instead ? `; ${instead}` : ''}`,
  });
}

type Refuse = (why: string) => UserError;

const same = (a: PlacedLayer, b: PlacedLayer) => isDeepStrictEqual(a.layer, b.layer) && isDeepStrictEqual(a.inst.input, b.inst.input);
const sameAll = (a: readonly PlacedLayer[], b: readonly PlacedLayer[]) => a.length === b.length && a.every((p, i) => same(p, b[i]));
const describe = (p: PlacedLayer) => `${p.layer.role} ${p.layer.spec.kind} at ${p.inst.input.join('x')}`;

function parts(arch: Architecture) {
  const placed = placeLayers(arch);
  return { all: placed, stem: placed.filter((p) => p.layer.role === 'stem'), blocks: placed.filter((p) => p.layer.role === 'block'), head: placed.filter((p) => p.layer.role === 'head') };
}

/**
 * The layer-wise view of `space`, its architectures from `build` (default: the space's own; a supernet
 * passes one that retargets them to its data). `refuse` turns a reason into the caller's UserError
 * (default: notLayerwise with a generic consequence).
 */
export function layerwiseView(space: SearchSpace, opts: { build?: (choices: number[]) => Architecture; refuse?: Refuse } = {}): LayerwiseView {
  const refuse: Refuse = opts.refuse ?? ((why) => notLayerwise(space.id, 'so it has no layer-by-layer view', why));
  const build = (choices: number[]) => {
    try {
      const arch = opts.build ? opts.build(choices) : space.build(choices);
      return { arch, ...parts(arch) };
    } catch (e) {
      if (e instanceof UserError) throw refuse(`its choices do not combine freely: [${choices}] does not build (${e.message})`);
      throw e;
    }
  };
  const decisions = space.decisions();
  const zeros = decisions.map(() => 0);
  const base = build(zeros);
  const nBlocks = base.blocks.length;
  if (nBlocks !== decisions.length && nBlocks !== decisions.length - 1)
    throw refuse(`it has ${decisions.length} decisions but the all-first-options architecture has ${nBlocks} searchable layers (one decision per layer, and at most one for the head)`);

  // Each decision's options, built once; a decision is `head` when an option changes the head, else `block`.
  const built = decisions.map((d, i) => d.options.map((_, o) => (o === 0 ? base : build(zeros.map((z, k) => (k === i ? o : z))))));
  const changesHead = built.map((opts) => opts.some((b) => !sameAll(b.head, base.head)));
  const heads = decisions.filter((_, i) => changesHead[i]);
  if (heads.length > 1) throw refuse(`${heads.map((d) => d.name).join(' and ')} each change the head (at most one decision may)`);
  if (heads.length === 0 && nBlocks !== decisions.length)
    throw refuse(`it has ${decisions.length} decisions but the all-first-options architecture has ${nBlocks} searchable layers and no decision changes the head`);
  if (heads.length === 1 && nBlocks !== decisions.length - 1)
    throw refuse(`${heads[0].name} changes the head, so ${decisions.length - 1} decisions remain for the ${nBlocks} searchable layers`);

  let k = 0; // the searchable layer of the next layer decision
  const out = decisions.map((d, i): LayerwiseDecision => {
    const archs = built[i].map((b) => b.arch);
    const label = (o: number) => `choosing '${d.options[o]}' for ${d.name}`;
    const stemSame = (o: number) => {
      if (!sameAll(built[i][o].stem, base.stem)) throw refuse(`${label(o)} changes the stem`);
    };
    if (changesHead[i]) {
      const input = base.head[0]?.inst.input ?? base.all[base.all.length - 1].output;
      const output = base.all[base.all.length - 1].output;
      const chains = built[i].map((b, o) => {
        stemSame(o);
        if (!sameAll(b.blocks, base.blocks)) throw refuse(`${label(o)} changes the head and a searchable layer`);
        const last = b.all[b.all.length - 1].output;
        if (!isDeepStrictEqual(last, output)) throw refuse(`${label(o)} changes the network's output to ${last.join('x')} (the head's options must all end in ${output.join('x')})`);
        return b.head;
      });
      return { index: i, name: d.name, options: [...d.options], at: 'head', input, archs, chains };
    }
    const at = k++;
    const ref = base.blocks[at];
    const chains = built[i].map((b, o) => {
      stemSame(o);
      const others = base.blocks.filter((_, j) => j !== at);
      if (b.blocks.length === nBlocks) {
        if (!isDeepStrictEqual(b.blocks[at].inst.input, ref.inst.input)) throw refuse(`${d.name}'s input shape changes with its option ${d.options[o]}`);
        const moved = b.blocks.findIndex((p, j) => j !== at && !same(p, base.blocks[j]));
        if (moved >= 0) throw refuse(`${label(o)} changes layer ${b.blocks[moved].index} (${describe(b.blocks[moved])}): layer shapes depend on earlier choices`);
        return [b.blocks[at]];
      }
      if (b.blocks.length === nBlocks - 1) {
        const moved = b.blocks.findIndex((p, j) => !same(p, others[j]));
        if (moved >= 0) throw refuse(`${label(o)} leaves out a layer and changes layer ${b.blocks[moved].index} (${describe(b.blocks[moved])}): layer shapes depend on earlier choices`);
        if (!isDeepStrictEqual(ref.output, ref.inst.input)) throw refuse(`${label(o)} leaves out a layer that changes the shape`);
        return [];
      }
      throw refuse(`${label(o)} gives ${b.blocks.length} searchable layers, not ${nBlocks} or ${nBlocks - 1}`);
    });
    return { index: i, name: d.name, options: [...d.options], at: 'block', input: ref.inst.input, archs, chains };
  });
  return { space, base: base.arch, stem: base.stem, head: heads.length ? [] : base.head, decisions: out };
}
