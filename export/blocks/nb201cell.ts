/**
 * nb201cell: a NAS-Bench-201 cell. Node 0 is the input; node j (1..3) sums op_ij(node i) over i < j;
 * node 3 is the output. Edges reuse the catalog's blocks (reluconv, pool avg k3 s1, identity), which
 * are exactly the instances decompose.ts counts for latency; "none" edges add nothing, and a node
 * with only "none" edges is zeros (as in the benchmark, where its value is a zero tensor).
 */
import { nb201EdgeSpec, nb201NodeInputs, parseNb201Cell } from '../../src/core/decompose.js';
import type { Nb201CellSpec } from '../../src/core/ops.js';
import { emitPool } from './pool.js';
import { emitReluConv } from './reluconv.js';
import { sumOf } from './sum.js';
import { zerosLike, type BlockEmitter } from './layers.js';

export const emitNb201Cell: BlockEmitter<Nb201CellSpec> = (ctx, spec, x, shape, prefix) => {
  const { edges } = parseNb201Cell(spec.cell);
  const nodes: string[] = [x];
  nb201NodeInputs(edges).forEach((incoming, to) => {
    if (to === 0) return;
    const terms = incoming.map((e) => {
      const edge = nb201EdgeSpec(e.op, shape)!;
      const name = `${prefix}.edge${to}_${e.from}`;
      switch (edge.kind) {
        case 'reluconv':
          return emitReluConv(ctx, edge, nodes[e.from], shape, name);
        case 'pool':
          return emitPool(ctx, edge, nodes[e.from], shape, name);
        default:
          return nodes[e.from]; // skip_connect: the source node itself
      }
    });
    const name = `${prefix}.node${to}`;
    nodes.push(terms.length === 0 ? zerosLike(ctx, x, name) : terms.length === 1 ? terms[0] : sumOf(ctx, terms, name));
  });
  return nodes[nodes.length - 1];
};
