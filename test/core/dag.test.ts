import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isChain, placeLayers, type Architecture } from '../../src/core/arch.js';
import { archToJson, writeArchFile } from '../../src/core/arch-file.js';
import { readArchFile } from '../../src/spaces/arch-file.js';
import { cellInstances, lutInstances } from '../../src/core/decompose.js';
import { inferShapes } from '../../src/core/graph/index.js';
import { opKey } from '../../src/core/keys.js';
import { lowerArchitecture, lowerBlock, lowerCell, type Cell } from '../../src/core/lower/index.js';
import { GraphBuilder } from '../../src/core/graph/index.js';
import { networkModel } from '../../export/model.js';
import { onnxCheck, PYTHON_ONNX_MISSING, randomInput, run } from '../export/helpers.js';
import { INCEPTION_DAG } from './dag-fixtures.js';
import { tfjsVersusOnnx } from './tf-parity.js';

const withLayers = (layers: Architecture['layers']): Architecture => ({ name: 'd', input: [1, 4, 6, 6], dtype: 'f32', layers });

describe('DAG architectures', () => {
  it('place each node on the shapes of the inputs it names', () => {
    const placed = placeLayers(INCEPTION_DAG);
    expect(placed.map((p) => p.id)).toEqual(['layer0', 'branch1x1', 'branch3x3', 'branch_pool', 'mixed', 'project', 'residual', 'layer7', 'layer8', 'layer9']);
    expect(placed[4].output).toEqual([1, 32, 16, 16]);
    expect(placed[6].inputs).toEqual(['project', 'layer0']);
    expect(placed[7].inputs).toEqual(['residual']);
    expect(isChain(INCEPTION_DAG)).toBe(false);
  });

  it('name the node and what does not fit', () => {
    const conv = { kind: 'conv', cout: 4, k: 1, stride: 1, groups: 1, dilation: 1, act: 'none' } as const;
    expect(() => placeLayers(withLayers([{ role: 'block', inputs: ['nope'], spec: conv }]))).toThrow(/layer 0 \(block conv\): input 'nope' is not the input or an earlier layer/);
    expect(() => placeLayers(withLayers([{ role: 'block', id: 'a', spec: conv }, { role: 'block', id: 'a', spec: conv }]))).toThrow(/id 'a' is used twice/);
    expect(() => placeLayers(withLayers([{ role: 'block', id: 'a', spec: { ...conv, cout: 8 } }, { role: 'block', inputs: ['a', 'input'], spec: { kind: 'sum', arity: 2 } }]))).toThrow(
      /input 1 \('input'\) is 1x4x6x6, expected 1x8x6x6/,
    );
    expect(() => placeLayers(withLayers([{ role: 'block', inputs: ['input', 'input'], spec: { kind: 'concat', channels: [4, 4, 4] } }]))).toThrow(/takes 3 input\(s\), 2 named/);
    expect(() => placeLayers(withLayers([{ role: 'block', id: 'layer5', spec: conv }]))).toThrow(/id must be/);
    expect(() => placeLayers(withLayers([{ role: 'block', id: 'a', spec: conv }, { role: 'block', inputs: ['input'], spec: conv }]))).toThrow(/nothing reads layer 'a'/);
  });

  it('decompose into one LUT instance per block node, with the concat keyed by its parts', () => {
    const keys = lutInstances(INCEPTION_DAG).map(({ inst }) => opKey(inst));
    expect(keys).toContain('concat:1x8x16x16:c8-8-16:f32');
    expect(keys).toContain('sum:1x16x16x16:n2:f32');
    expect(keys).toContain('pool:1x16x16x16:max:k3:s1:f32');
    expect(keys.length).toBe(INCEPTION_DAG.layers.length);
  });

  it('compute concat and two-input sums on the inputs they name, in order', async () => {
    const arch = withLayers([
      { role: 'block', id: 'pooled', spec: { kind: 'pool', mode: 'max', k: 3, stride: 1 } },
      { role: 'block', id: 'joined', inputs: ['pooled', 'input'], spec: { kind: 'concat', channels: [4, 4] } },
      { role: 'block', inputs: ['joined', 'joined'], spec: { kind: 'sum', arity: 2 } },
    ]);
    const x = randomInput([1, 4, 6, 6]);
    const { data, dims } = await run(networkModel(arch), [x]);
    expect(dims).toEqual([1, 8, 6, 6]);
    const at = (c: number, i: number, j: number) => x[(c * 6 + i) * 6 + j];
    for (let c = 0; c < 4; c++)
      for (let i = 0; i < 6; i++)
        for (let j = 0; j < 6; j++) {
          let m = -Infinity;
          for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) if (i + di >= 0 && i + di < 6 && j + dj >= 0 && j + dj < 6) m = Math.max(m, at(c, i + di, j + dj));
          expect(data[(c * 6 + i) * 6 + j]).toBeCloseTo(2 * m, 5);
          expect(data[((c + 4) * 6 + i) * 6 + j]).toBeCloseTo(2 * at(c, i, j), 5);
        }
  });

  it.skipIf(PYTHON_ONNX_MISSING !== undefined)(`export to ONNX that passes onnx.checker full_check and runs (${PYTHON_ONNX_MISSING ?? 'python3-onnx'})`, async () => {
    const m = networkModel(INCEPTION_DAG);
    expect(onnxCheck([{ name: 'dag', onnx: m.onnx }])).toEqual({});
    const { data, dims } = await run(m);
    expect(dims).toEqual([1, 10, 1, 1]);
    expect(data.every(Number.isFinite)).toBe(true);
    // Weights are named by node id.
    expect(inferShapes(lowerArchitecture(INCEPTION_DAG)).has('branch3x3.expand')).toBe(true);
  });

  it.each(['cpu', 'wasm'] as const)('run on tfjs %s as in onnxruntime (the same primitive graph; max |Δ| ≤ 1e-4)', async (backend) => {
    const { worst, spread } = await tfjsVersusOnnx(networkModel(INCEPTION_DAG), backend);
    expect(worst).toBeLessThanOrEqual(1e-4);
    expect(spread).toBeGreaterThan(1e-3);
  });

  it('files: version 2 holds ids and inputs, chains are still written and read as version 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-dag-'));
    try {
      const file = path.join(dir, 'dag.json');
      writeArchFile(file, INCEPTION_DAG);
      expect((archToJson(INCEPTION_DAG) as { version: number }).version).toBe(2);
      expect(await readArchFile(file)).toEqual(INCEPTION_DAG);
      const chain = withLayers([{ role: 'block', spec: { kind: 'identity' } }]);
      expect((archToJson(chain) as { version: number }).version).toBe(1);
      const v1 = path.join(dir, 'v1.json');
      writeFileSync(v1, JSON.stringify({ ...archToJson(INCEPTION_DAG), version: 1 }));
      await expect(readArchFile(v1)).rejects.toThrow(/need version 2/);
      writeFileSync(v1, JSON.stringify(archToJson(chain)));
      expect(await readArchFile(v1)).toEqual(chain);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cells: one rule for lowering and latency', () => {
  // A DARTS-style cell: two inputs, two nodes each summing two edges, output the concat of the nodes.
  const darts: Cell = {
    inputs: 2,
    nodes: [
      { edges: [{ from: 0, spec: { kind: 'dwsep', cout: 8, k: 3, stride: 1, se: 0, act: 'relu', skip: false } }, { from: 1, spec: { kind: 'identity' } }] },
      { edges: [{ from: 2, spec: { kind: 'pool', mode: 'avg', k: 3, stride: 1 } }, { from: 0, spec: { kind: 'reluconv', cout: 8, k: 1, stride: 1 } }] },
    ],
    output: 'concat',
  };

  it('decomposes a cell into its edge ops, then one sum per multi-edge node and the output concat', () => {
    const keys = cellInstances(darts, [[1, 8, 8, 8], [1, 8, 8, 8]], 'f32').map(opKey);
    expect(keys).toEqual([
      'dwsep:1x8x8x8:c8:k3:s1:se0:relu:skip0:f32',
      'identity:1x8x8x8:f32',
      'pool:1x8x8x8:avg:k3:s1:f32',
      'reluconv:1x8x8x8:c8:k1:s1:f32',
      'sum:1x8x8x8:n2:f32',
      'sum:1x8x8x8:n2:f32',
      'concat:1x8x8x8:c8-8:f32',
    ]);
  });

  it('lowers the same cell edge by edge through the block lowerings', () => {
    const b = new GraphBuilder();
    const y = lowerCell(b, darts, [b.input('a', [1, 8, 8, 8]), b.input('b', [1, 8, 8, 8])], 'cell', lowerBlock);
    expect(b.shape(y)).toEqual([1, 16, 8, 8]);
    const ids = b.build([y]).nodes.map((n) => n.id);
    expect(ids).toContain('cell.edge2_0.dw');
    expect(ids).toContain('cell.edge3_0.conv.bn');
    expect(ids).toContain('cell.concat');
  });
});
