/**
 * The supernet of a layer assignment search (NIR, Meng et al. AAAI 2020): one module per layer of the
 * deepest assignment, `s<n>.l<j>` = layer j of stage n; the network of an assignment (d_1 … d_S) is the
 * stem, the first d_n layers of every stage n, the head. A deeper assignment therefore *inherits* its
 * parent's layers: the very same parameters, so its inherited layers equal the parent's weights exactly.
 *
 * New layers start as identity: every layer beyond a stage's minimum depth is a residual block (stride 1,
 * same width: mbv2's skippable MBConvs, AnyNet's non-first bottlenecks), and the BatchNorm that closes
 * its residual branch gets γ = 0 (β is 0 already; Goyal et al. 2017's zero-γ init), its other weights
 * from the seed. Until an assignment that holds the layer is trained, the layer adds nothing, so a child
 * computes exactly its parent's function when it is created. A layer's parameters are stepped only when
 * a trained path holds it (the optimizer leaves parameters without a gradient alone).
 *
 * Training is the one loop (loop.ts): each step trains one assignment drawn uniformly from the level's
 * set, from (seed, step) only (the paper's inherited sampling), with the loop's checkpoints and resume.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { placeLayers, type Architecture, type Layer } from '../../core/arch.js';
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { Samples } from '../../data/types.js';
import type { SearchSpace } from '../../core/space.js';
import { readCheckpoint, writeCheckpoint, type NamedTensor } from '../checkpoint.js';
import { resolveBudget, restore, runLoop, type LoopOptions, type LoopResult } from '../loop.js';
import { buildLayer, layerGraph } from '../nn/graph-module.js';
import type { Module, Param } from '../nn/module.js';
import { Network } from '../nn/network.js';
import { adaptArchitecture } from '../train-evaluator.js';
import { backpropBatch, evaluate, recalibrate } from '../trainer.js';
import type { ImageShape } from './candidates.js';
import { stepSeed } from './sampler.js';

/** A space seen as stage depths (src/search/nir/stages.ts builds one): stage n holds min..max layers. */
export interface DepthView {
  space: SearchSpace;
  stages: readonly { min: number; max: number }[];
  /** The space's choice vector of an assignment (layers per stage). */
  encode(depths: readonly number[]): number[];
}

interface Fixed {
  prefix: string;
  layer: Layer;
  module: Module;
}

interface StageLayer extends Fixed {
  /** The γ that closes the residual branch (zeroed at build), absent for the stage's first min layers. */
  gate?: Param;
}

export class DepthSupernet {
  private constructor(
    readonly view: DepthView,
    readonly image: ImageShape,
    readonly classes: number,
    readonly stem: Fixed[],
    /** stages[n][j]: layer j of stage n. */
    readonly stages: StageLayer[][],
    readonly head: Fixed[],
  ) {}

  static build(view: DepthView, image: ImageShape, classes: number, seed: number): DepthSupernet {
    const retarget = (a: Architecture) => adaptArchitecture(a, image, classes);
    const deepest = retarget(view.space.build(view.encode(view.stages.map((s) => s.max))));
    const placed = placeLayers(deepest);
    const blocks = placed.filter((p) => p.layer.role === 'block');
    const total = view.stages.reduce((n, s) => n + s.max, 0);
    if (blocks.length !== total) throw new UserError(`space '${view.space.id}': the deepest assignment has ${blocks.length} blocks, its stages ${total}`);
    const fixed = (role: 'stem' | 'head') =>
      placed.filter((p) => p.layer.role === role).map((p, j) => ({ prefix: `${role}${j}`, layer: p.layer, module: buildLayer(p.layer.spec, p.inst.input, `${role}${j}`, seed) }));
    let at = 0;
    const stages = view.stages.map((st, n) =>
      Array.from({ length: st.max }, (_, j) => {
        const p = blocks[at++];
        const prefix = `s${n + 1}.l${j + 1}`;
        const module = buildLayer(p.layer.spec, p.inst.input, prefix, seed);
        const layer: StageLayer = { prefix, layer: p.layer, module };
        if (j >= st.min) {
          layer.gate = residualGate(p.layer, p.inst.input, prefix, module);
          const g = layer.gate;
          tf.tidy(() => g.variable.assign(tf.zerosLike(g.variable)));
        }
        return layer;
      }),
    );
    return new DepthSupernet(view, image, classes, fixed('stem'), stages, fixed('head'));
  }

  /** The assignment's architecture (retargeted to the data) and its modules: stem, the first d_n layers of each stage, head. */
  path(depths: readonly number[]): { arch: Architecture; modules: Module[] } {
    const arch = adaptArchitecture(this.view.space.build(this.view.encode(depths)), this.image, this.classes);
    const chosen = [...this.stem, ...this.stages.flatMap((layers, n) => layers.slice(0, depths[n])), ...this.head];
    if (chosen.length !== arch.layers.length || chosen.some((c, i) => !isDeepStrictEqual(c.layer, arch.layers[i])))
      throw new UserError(`space '${this.view.space.id}': assignment ${depths.join('-')} builds layers other than the deepest assignment's first ones`, {
        hint: 'the space is not a stage-depth space (a stage layer must not depend on the stage depth)',
      });
    return { arch, modules: chosen.map((c) => c.module) };
  }

  network(depths: readonly number[]): Network {
    const { arch, modules } = this.path(depths);
    return new Network(arch, { modules });
  }

  /** Every parameter and statistic, each once (stem, stages in order, head). */
  params(): Param[] {
    return [...new Set([...this.stem, ...this.stages.flat(), ...this.head].flatMap((l) => l.module.params()))];
  }

  /** The residual γ of layer j (0-based) of stage n, undefined for the layers every assignment has. */
  gate(stage: number, layer: number): Param | undefined {
    return this.stages[stage][layer].gate;
  }

  /**
   * Trains `assignments` for the loop's budget, one drawn uniformly per step from (seed, step); a checkpoint
   * (loop.ts) resumes a killed run bit for bit. `describe` goes into the checkpoint's fingerprint.
   */
  async train(data: Samples, assignments: readonly (readonly number[])[], opts: LoopOptions & { label: string; describe: Record<string, unknown>; afterStep?: (step: number, total: number, loss: number) => void }): Promise<LoopResult> {
    if (assignments.length === 0) throw new Error('nothing to train');
    const budget = resolveBudget(data, opts, 'nir ');
    const id = createHash('sha256')
      .update(JSON.stringify({ ...opts.describe, assignments, data: [data.count, data.height, data.width, data.channels], batch: budget.batchSize, steps: budget.total, seed: budget.seed, optimizer: budget.optimizer }))
      .digest('hex')
      .slice(0, 16);
    const nets = new Map<string, Network>();
    const net = (d: readonly number[]) => {
      const key = d.join('-');
      let n = nets.get(key);
      if (!n) nets.set(key, (n = this.network(d)));
      return n;
    };
    try {
      return await runLoop({
        label: opts.label,
        data,
        budget,
        model: this,
        checkpoint: opts.checkpoint
          ? { file: opts.checkpoint, every: opts.checkpointEvery, meta: (step) => ({ kind: 'nir-level', step, fingerprint: id }), resume: (optimizer, f) => restore(this, optimizer, f, id) }
          : undefined,
        step: (batch, step) => {
          const d = assignments[new Rng(stepSeed(budget.seed, step)).int(assignments.length)];
          return { loss: backpropBatch(net(d), batch), passes: 1, where: `, assignment ${d.join('-')}` };
        },
        afterStep: (i) => opts.afterStep?.(i.step, i.total, i.loss),
      });
    } finally {
      for (const n of nets.values()) n.dispose();
    }
  }

  /** Validation top-1 (%) of an assignment with the supernet's weights, its BatchNorm statistics re-estimated on training images first. */
  evaluate(depths: readonly number[], data: { train: Samples; validation: Samples }, calibrationImages = 512, batchSize = 64): number {
    const net = this.network(depths);
    try {
      recalibrate(net, data.train, calibrationImages, batchSize);
      return evaluate(net, data.validation).accuracy;
    } finally {
      net.dispose();
    }
  }

  save(file: string, meta: Record<string, unknown>): void {
    const tensors = new Map<string, NamedTensor>();
    for (const p of this.params()) tensors.set(p.name, { shape: p.value.shape, data: (p.value.dataSync() as Float32Array).slice() });
    writeCheckpoint(file, { meta: { kind: 'nir-supernet', ...meta }, tensors });
  }

  /** Loads `file` written by save(); returns its meta. */
  load(file: string, hint: string): Record<string, unknown> {
    const ck = readCheckpoint(file);
    if (ck.meta.kind !== 'nir-supernet') throw new UserError(`${file} is not a NIR supernet's weights`, { hint });
    for (const p of this.params()) {
      const t = ck.tensors.get(p.name);
      if (!t || t.data.length !== p.value.size) throw new UserError(`${file} lacks ${p.name} or has it with another shape`, { hint });
      tf.tidy(() => p.variable.assign(tf.tensor(t.data, p.value.shape)));
    }
    return ck.meta;
  }

  dispose(): void {
    for (const p of this.params()) {
      p.clearGrad();
      p.variable.dispose();
    }
  }
}

/** The γ of the BatchNorm that closes the block's residual branch (the add's input other than the block input). */
function residualGate(layer: Layer, input: readonly number[], prefix: string, module: Module): Param {
  const g = layerGraph(layer.spec, input as [number, number, number, number], prefix);
  const x = g.inputs[0].name;
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const refuse = () =>
    new UserError(`${prefix}: a layer added to a stage must be a residual block with an identity shortcut closing in a BatchNorm (${layer.spec.kind} is not)`, {
      hint: 'stage layers after the first must keep the shape (stride 1, same width)',
    });
  for (const n of g.nodes) {
    if (n.prim.op !== 'add' || n.inputs.length !== 2 || !n.inputs.includes(x)) continue;
    const other = byId.get(n.inputs.find((i) => i !== x)!);
    if (other?.prim.op !== 'bn') throw refuse();
    const gamma = module.params().find((p) => p.name === `${other.id}.gamma`);
    if (!gamma) throw refuse();
    return gamma;
  }
  throw refuse();
}
