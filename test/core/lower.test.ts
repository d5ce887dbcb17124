import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { graphMetrics, inferShapes, PRIMITIVES, type Graph } from '../../src/core/graph/index.js';
import { instanceInputNames, LOWERINGS, lowerArchitecture, lowerInstance } from '../../src/core/lower/index.js';
import { OP_KINDS } from '../../src/core/keys.js';
import { outputShape } from '../../src/core/ops.js';
import { networkModel, opModel } from '../../export/model.js';
import { exportCases } from '../export/cases.js';
import { goldenArchitectures } from '../export/golden/cases.js';

/** Names of the weight tensors a graph has once every BatchNorm is folded into the conv in front of it. */
function foldedParamNames(g: Graph): string[] {
  const shapes = inferShapes(g);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const names: string[] = [];
  for (const node of g.nodes) {
    if (node.prim.op === 'bn') {
      const conv = byId.get(node.inputs[0]);
      if (conv?.prim.op === 'conv' && !conv.prim.bias) names.push(`${conv.id}.bias`);
      continue;
    }
    const def = PRIMITIVES[node.prim.op] as { params(p: unknown, x: unknown[], id: string): { name: string }[] };
    names.push(...def.params(node.prim, node.inputs.map((r) => shapes.get(r)!), node.id).map((p) => p.name));
  }
  return names.sort();
}

function onnxWeightNames(bytes: Uint8Array): string[] {
  const m = onnxProto.onnx.ModelProto.decode(bytes);
  return (m.graph?.initializer ?? []).map((t) => t.name ?? '').filter((n) => /\.(weight|bias)$/.test(n)).sort();
}

describe('lowerings', () => {
  it('has one lowering per block kind', () => {
    expect(Object.keys(LOWERINGS).sort()).toEqual([...OP_KINDS].sort());
  });

  it('lowers every instance to the shape ops.ts gives it, under the exporter\'s weight names', () => {
    for (const inst of exportCases()) {
      const g = lowerInstance(inst);
      expect(g.inputs.map((i) => i.name)).toEqual(instanceInputNames(inst));
      expect(inferShapes(g).get(g.outputs[0]), JSON.stringify(inst.spec)).toEqual(outputShape(inst.spec, inst.input));
      expect(foldedParamNames(g), JSON.stringify(inst.spec)).toEqual(onnxWeightNames(opModel(inst).onnx));
    }
  });

  it('lowers whole architectures with layer<i> ids, BN nodes <conv>.bn and the exporter\'s weight names', () => {
    for (const arch of goldenArchitectures().filter((_, i) => i % 3 === 0)) {
      const g = lowerArchitecture(arch);
      expect(foldedParamNames(g)).toEqual(onnxWeightNames(networkModel(arch).onnx));
      for (const n of g.nodes) if (n.prim.op === 'bn') expect(g.nodes.find((c) => c.id === n.inputs[0])?.prim.op).toBe('conv');
      expect(graphMetrics(g).macs).toBeGreaterThan(0);
    }
  });

  it('carries the weight gains of the exporter (mbconv with SE and skip)', () => {
    const g = lowerInstance({ spec: { kind: 'mbconv', cout: 8, k: 3, stride: 1, expand: 6, se: 0.25, act: 'relu6', skip: true }, input: [1, 8, 8, 8], dtype: 'f32' });
    const gain = (id: string) => g.nodes.find((n) => n.id === id)?.init?.gain;
    expect(gain('op.expand')).toBeCloseTo(Math.SQRT2);
    expect(gain('op.se.expand')).toBe(1);
    expect(gain('op.project')).toBeCloseTo(1.85 * 0.3);
    expect(g.nodes.map((n) => n.id)).toContain('op.dw.bn');
  });
});
