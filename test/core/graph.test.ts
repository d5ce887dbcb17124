import { describe, expect, it } from 'vitest';
import { GraphBuilder, graphMetrics, inferShapes, PRIMITIVES, type Graph } from '../../src/core/graph/index.js';

describe('primitive graph', () => {
  it('infers shapes through conv, bn, act, split, shuffle, concat, pool, gpool, flatten, linear', () => {
    const b = new GraphBuilder();
    const x = b.input('input', [2, 8, 15, 15]);
    const c = b.conv(x, 'c', 16, { k: 3, stride: 2 });
    expect(b.shape(c)).toEqual([2, 16, 8, 8]);
    const [l, r] = b.split(b.act(b.bn(c, 'c.bn'), 'relu6', 'c.act'), [4, 12], 's');
    expect(b.shape(r)).toEqual([2, 12, 8, 8]);
    const g = b.conv(r, 'g', 12, { k: [1, 7], groups: 3 });
    expect(b.shape(g)).toEqual([2, 12, 8, 8]);
    const cat = b.node('shuf', { op: 'shuffle', groups: 2 }, [b.concat([l, g], 'cat')]);
    expect(b.shape(cat)).toEqual([2, 16, 8, 8]);
    const p = b.node('p', { op: 'pool', mode: 'max', kernel: [3, 3], stride: [2, 2], pads: [0, 0, 0, 0], ceil: true, countIncludePad: false }, [cat]);
    expect(b.shape(p)).toEqual([2, 16, 4, 4]); // ceil((8-3)/2)+1 = 4
    const f = b.node('f', { op: 'flatten' }, [p]);
    expect(b.shape(f)).toEqual([2, 256, 1, 1]);
    const y = b.node('fc', { op: 'linear', cout: 10, bias: true }, [f]);
    const graph = b.build([y]);
    expect(inferShapes(graph).get('fc')).toEqual([2, 10, 1, 1]);
  });

  it('ceil mode never starts a window in the right padding (PyTorch and onnxruntime kernels)', () => {
    const b = new GraphBuilder();
    const x = b.input('input', [1, 1, 6, 6]);
    const p = b.node('p', { op: 'pool', mode: 'avg', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0], ceil: true, countIncludePad: false }, [x]);
    expect(b.shape(p)).toEqual([1, 1, 3, 3]);
    const q = b.node('q', { op: 'pool', mode: 'max', kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true, countIncludePad: false }, [x]);
    expect(b.shape(q)).toEqual([1, 1, 4, 4]); // ceil((6+2-3)/2)+1 = 4: the last window starts at row 6 of the padded input, inside
    const y = b.input('odd', [1, 1, 5, 5]);
    const r = b.node('r', { op: 'pool', mode: 'max', kernel: [2, 2], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true, countIncludePad: false }, [y]);
    expect(b.shape(r)).toEqual([1, 1, 3, 3]); // ceil(5/2)+1 = 4 would start the last window in the right padding
  });

  it('names the node and what does not fit', () => {
    const bad: Graph = {
      inputs: [{ name: 'input', shape: [1, 24, 8, 8] }],
      nodes: [{ id: 'layer3.dw', prim: { op: 'conv', cout: 24, kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 5, bias: false }, inputs: ['input'] }],
      outputs: ['layer3.dw'],
    };
    expect(() => inferShapes(bad)).toThrow(/graph node 'layer3.dw' \(conv\): groups 5 must divide input channels 24/);
    const missing: Graph = { inputs: [{ name: 'input', shape: [1, 4, 8, 8] }], nodes: [{ id: 'a', prim: { op: 'add' }, inputs: ['input', 'nope'] }], outputs: ['a'] };
    expect(() => inferShapes(missing)).toThrow(/graph node 'a' \(add\): input 'nope' is not defined/);
    const arity: Graph = { inputs: [{ name: 'input', shape: [1, 4, 8, 8] }], nodes: [{ id: 'a', prim: { op: 'add' }, inputs: ['input'] }], outputs: ['a'] };
    expect(() => inferShapes(arity)).toThrow(/at least 2 input/);
    const mul: Graph = { inputs: [{ name: 'x', shape: [1, 4, 8, 8] }, { name: 'g', shape: [1, 3, 1, 1] }], nodes: [{ id: 'm', prim: { op: 'mul' }, inputs: ['x', 'g'] }], outputs: ['m'] };
    expect(() => inferShapes(mul)).toThrow(/second input must be 1x4x8x8 or 1x4x1x1/);
  });

  it('counts MACs, parameters (BN folded) and RegNet activations', () => {
    const b = new GraphBuilder();
    const x = b.input('input', [1, 3, 32, 32]);
    const c = b.act(b.bn(b.conv(x, 'stem', 16, { k: 3, stride: 2 }), 'stem.bn'), 'relu', 'stem.relu');
    const dw = b.bn(b.conv(c, 'dw', 16, { k: 3, groups: 16 }), 'dw.bn');
    const se = b.node('se.fc', { op: 'linear', cout: 4, bias: true }, [b.node('se.pool', { op: 'gpool', mode: 'avg' }, [dw])]);
    const y = b.node('fc', { op: 'linear', cout: 10, bias: true }, [b.node('gp', { op: 'gpool', mode: 'avg' }, [b.add([dw, c], 'res')])]);
    const m = graphMetrics(b.build([y, se]));
    const stem = 16 * 16 * 16 * 3 * 9;
    const dwm = 16 * 16 * 16 * 9;
    expect(m.macs).toBe(stem + dwm + 16 * 4 + 16 * 16 * 16 /* se pool */ + 16 * 16 * 16 /* add */ + 16 * 16 * 16 /* gp */ + 16 * 10);
    expect(m.params).toBe(16 * 3 * 9 + 16 + 16 * 9 + 16 + 16 * 4 + 4 + 16 * 10 + 10);
    expect(m.activations).toBe(16 * 16 * 16 * 2 + 4 + 10);
  });

  it('has one definition per primitive the IR names', () => {
    expect(Object.keys(PRIMITIVES).sort()).toEqual(
      ['act', 'add', 'bn', 'concat', 'conv', 'flatten', 'gpool', 'instancenorm', 'layernorm', 'linear', 'mul', 'pool', 'shuffle', 'slice', 'split', 'zero'].sort(),
    );
  });
});
