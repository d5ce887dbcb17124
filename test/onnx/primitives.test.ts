import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { networkModel } from '../../export/model.js';
import { placeLayers } from '../../src/core/arch.js';
import { macs } from '../../src/core/ops.js';
import { graphMetrics } from '../../src/core/graph/index.js';
import { lowerArchitecture } from '../../src/core/lower/index.js';
import { onnxMetrics } from '../../src/onnx/primitives.js';
import { readOnnxGraph } from '../../src/onnx/read.js';
import { publishedArchitecture } from '../../src/spaces/catalog.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-prim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ONNX ops counted through the primitive graph', () => {
  it('counts an exported MobileNetV2 like the catalog does (300M MACs, 3.5M parameters at 224)', async () => {
    const arch = publishedArchitecture('MobileNetV2-1.0');
    const file = path.join(dir, 'mbv2.onnx');
    writeFileSync(file, networkModel(arch).onnx);
    const m = onnxMetrics(await readOnnxGraph(file));
    const catalog = placeLayers(arch).reduce((s, p) => s + macs(p.inst), 0);
    // The add primitive counts the residual sums (an element each), which the catalog's MBConv leaves out: < 0.1%.
    expect(Math.abs(m.macs - catalog) / catalog).toBeLessThan(1e-3);
    expect(m.params / 1e6).toBeGreaterThan(3.4);
    expect(m.params / 1e6).toBeLessThan(3.6);
    expect(m.activations).toBeGreaterThan(0);
    expect(m.notCounted).toEqual({}); // the classifier's Reshape N×K → N×K×1×1 is a flatten
  });

  it("counts an exported DARTS-V2 like its graph, FactorizedReduce's one-pixel Slice included", async () => {
    const arch = publishedArchitecture('DARTS-V2', { resolution: 64 });
    const file = path.join(dir, 'darts.onnx');
    writeFileSync(file, networkModel(arch).onnx);
    const m = onnxMetrics(await readOnnxGraph(file));
    const graph = graphMetrics(lowerArchitecture(arch));
    expect(m.params).toBe(graph.params);
    expect(m.macs).toBe(graph.macs);
    expect(m.notCounted).toEqual({}); // the classifier's Reshape N×K → N×K×1×1 is a flatten
  });
});
