/**
 * A model for the tfjs devices, rebuilt from its op instances: tfjs cannot run ONNX, so the page gets a
 * "program" (plain JSON: weight shapes and a list of tfjs steps) and page/tfjs-runner.js interprets it.
 *
 * Each catalog kind is made of the same pieces as its ONNX export (export/blocks/*), in NHWC, the way a
 * converted tfjs model runs it: BatchNorm folded into a conv bias, ReLU / ReLU6 / sigmoid fused into
 * the conv (tf.fused.*), h-swish and swish as separate element-wise ops, grouped convs as one conv per
 * group (tfjs has no grouped convolution).
 */
import { nb201EdgeSpec, nb201NodeInputs, parseNb201Cell } from '../../src/core/decompose.js';
import { convOut, expandedChannels, legacyGap, seChannels, seedKindError, type Act, type OpInstance, type OpSpec, type Shape } from '../../src/core/ops.js';
import type { ModelUnderTest } from '../types.js';

/** Activations as tfjs names them ('linear' = none). */
export type TfAct = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'hswish' | 'swish';
type Pad = number | 'same';

/** One step; x, y, xs index earlier values (the program's inputs first), w and b index weights. */
export type TfStep =
  | { op: 'conv' | 'dwconv'; x: number; w: number; b?: number; stride: number; pad: Pad; dilation: number; act: TfAct }
  | { op: 'groupconv'; x: number; w: number; b: number; groups: number; stride: number; pad: Pad; dilation: number; act: TfAct }
  | { op: 'act'; x: number; act: TfAct }
  | { op: 'add' | 'mul'; x: number; y: number }
  | { op: 'addN'; xs: number[] }
  | { op: 'scale'; x: number; by: number }
  | { op: 'pool'; x: number; mode: 'avg' | 'max'; k: number; stride: number; pad: Pad }
  | { op: 'gpool'; x: number; mode: 'avg' | 'max' }
  | { op: 'dense'; x: number; w: number; b: number; act: TfAct }
  | { op: 'subsample'; x: number; stride: number };

export interface TfProgram {
  /** NHWC input shapes, in the order of the model's inputs. */
  inputs: number[][];
  /** Weight tensor shapes (conv filters HWIO, depthwise HWC1, dense [in, out], biases [out]). */
  weights: number[][];
  steps: TfStep[];
  /** Index of the output value. */
  output: number;
}

const tfAct = (act: Act): TfAct => (act === 'none' ? 'linear' : act);

/** Why tfjs cannot run `inst`, or true. */
export function tfjsSupports(inst: OpInstance): true | string {
  const s = inst.spec;
  // tfjs's conv2d and depthwiseConv2d refuse a stride and a dilation both above 1.
  if ((s.kind === 'conv' || s.kind === 'dwconv') && s.dilation > 1 && s.stride > 1)
    return `tfjs: ${s.kind} with stride ${s.stride} and dilation ${s.dilation} (tfjs convolutions take a stride or a dilation above 1, not both)`;
  if (s.kind === 'concat') return 'tfjs: concat (a multi-input DAG block) runs once this program is built from the lowered graph';
  return true;
}

/** A value: its index and NCHW shape (the catalog's convention; only the page works in NHWC). */
interface V {
  i: number;
  shape: Shape;
}

class Builder {
  readonly weights: number[][] = [];
  readonly steps: TfStep[] = [];
  constructor(private readonly inputCount: number) {}

  private push(step: TfStep, shape: Shape): V {
    this.steps.push(step);
    return { i: this.inputCount + this.steps.length - 1, shape };
  }

  private weight(shape: number[]): number {
    this.weights.push(shape);
    return this.weights.length - 1;
  }

  conv(x: V, o: { cout: number; k: number; stride?: number; groups?: number; dilation?: number; act?: TfAct; bias?: boolean }): V {
    const [n, cin, h, w] = x.shape;
    const { cout, k, stride = 1, groups = 1, dilation = 1, act = 'linear', bias = true } = o;
    const pad = Math.floor((dilation * (k - 1)) / 2);
    const out: Shape = [n, cout, convOut(h, k, stride, dilation), convOut(w, k, stride, dilation)];
    if (groups === 1) {
      const wi = this.weight([k, k, cin, cout]);
      return this.push({ op: 'conv', x: x.i, w: wi, ...(bias ? { b: this.weight([cout]) } : {}), stride, pad, dilation, act }, out);
    }
    if (groups === cin && cout === cin) {
      const wi = this.weight([k, k, cin, 1]);
      return this.push({ op: 'dwconv', x: x.i, w: wi, b: this.weight([cout]), stride, pad, dilation, act }, out);
    }
    const wi = this.weight([k, k, cin / groups, cout / groups]);
    for (let g = 1; g < groups; g++) this.weight([k, k, cin / groups, cout / groups]);
    return this.push({ op: 'groupconv', x: x.i, w: wi, b: this.weight([cout]), groups, stride, pad, dilation, act }, out);
  }

  act(x: V, act: TfAct): V {
    return act === 'linear' ? x : this.push({ op: 'act', x: x.i, act }, x.shape);
  }

  /** A conv followed by `act`: fused when tfjs can fuse it, else a separate step. */
  convAct(x: V, o: Parameters<Builder['conv']>[1], act: TfAct): V {
    const fusable = act === 'linear' || act === 'relu' || act === 'relu6' || act === 'sigmoid';
    return fusable ? this.conv(x, { ...o, act }) : this.act(this.conv(x, o), act);
  }

  add(x: V, y: V): V {
    return this.push({ op: 'add', x: x.i, y: y.i }, x.shape);
  }

  addN(xs: V[]): V {
    return xs.length === 1 ? xs[0] : this.push({ op: 'addN', xs: xs.map((v) => v.i) }, xs[0].shape);
  }

  zerosLike(x: V): V {
    return this.push({ op: 'scale', x: x.i, by: 0 }, x.shape);
  }

  pool(x: V, mode: 'avg' | 'max', k: number, stride: number, pad: Pad = Math.floor((k - 1) / 2)): V {
    const [n, c, h, w] = x.shape;
    const size = (s: number) => (pad === 'same' ? Math.ceil(s / stride) : convOut(s, k, stride));
    return this.push({ op: 'pool', x: x.i, mode, k, stride, pad }, [n, c, size(h), size(w)]);
  }

  se(x: V, reduced: number, act: Act): V {
    const c = x.shape[1];
    const pooled = this.push({ op: 'gpool', x: x.i, mode: 'avg' }, [x.shape[0], c, 1, 1]);
    const r = this.convAct(pooled, { cout: reduced, k: 1 }, tfAct(act));
    const gate = this.conv(r, { cout: c, k: 1, act: 'sigmoid' });
    return this.push({ op: 'mul', x: x.i, y: gate.i }, x.shape);
  }

  reluConv(x: V, cout: number, k: number, stride: number): V {
    return this.conv(this.act(x, 'relu'), { cout, k, stride });
  }

  layer(spec: OpSpec, x: V): V {
    const c = x.shape[1];
    switch (spec.kind) {
      case 'conv':
        return this.convAct(x, { cout: spec.cout, k: spec.k, stride: spec.stride, groups: spec.groups, dilation: spec.dilation }, tfAct(spec.act));
      case 'dwconv':
        return this.convAct(x, { cout: c, k: spec.k, stride: spec.stride, groups: c, dilation: spec.dilation }, tfAct(spec.act));
      case 'dwsep': {
        let y = this.convAct(x, { cout: c, k: spec.k, stride: spec.stride, groups: c }, tfAct(spec.act));
        if (spec.se > 0) y = this.se(y, seChannels(c, spec.se), spec.act);
        y = this.conv(y, { cout: spec.cout, k: 1 });
        return spec.skip ? this.add(x, y) : y;
      }
      case 'mbconv': {
        const mid = expandedChannels(c, spec.expand);
        let y = spec.expand === 1 ? x : this.convAct(x, { cout: mid, k: 1 }, tfAct(spec.act));
        y = this.convAct(y, { cout: mid, k: spec.k, stride: spec.stride, groups: mid }, tfAct(spec.act));
        if (spec.se > 0) y = this.se(y, seChannels(c, spec.se), spec.act);
        y = this.conv(y, { cout: spec.cout, k: 1 });
        return spec.skip ? this.add(x, y) : y;
      }
      case 'pool':
        return this.pool(x, spec.mode, spec.k, spec.stride);
      case 'gpool':
        return this.push({ op: 'gpool', x: x.i, mode: spec.mode }, [x.shape[0], c, 1, 1]);
      case 'identity':
        // Runtimes drop an Identity; the model is then the input itself.
        return x;
      case 'zero': {
        const [n, , h, w] = x.shape;
        const sub = spec.stride === 1 ? x : this.push({ op: 'subsample', x: x.i, stride: spec.stride }, [n, c, Math.ceil(h / spec.stride), Math.ceil(w / spec.stride)]);
        return this.zerosLike(sub);
      }
      case 'linear': {
        const [n, , h, w] = x.shape;
        const wi = this.weight([c * h * w, spec.cout]);
        return this.push({ op: 'dense', x: x.i, w: wi, b: this.weight([spec.cout]), act: tfAct(spec.act) }, [n, spec.cout, 1, 1]);
      }
      case 'se':
        return this.se(x, seChannels(c, spec.ratio), spec.act);
      case 'reluconv':
        return this.reluConv(x, spec.cout, spec.k, spec.stride);
      case 'sum':
        // Inside a chain a sum sees one tensor and adds `arity` copies of it, as the ONNX export does.
        return this.addN(Array<V>(spec.arity).fill(x));
      case 'nb201cell':
        return this.nb201Cell(x, spec.cell);
      case 'concat':
        // Multi-input blocks run once this program is built from the lowered graph (src/core/lower).
        throw new Error('tfjs program: concat layers (DAG architectures) are not supported by this backend yet');
      case 'resblock': {
        const a = this.reluConv(x, spec.cout, 3, spec.stride);
        const b = this.conv(this.act(a, 'relu'), { cout: spec.cout, k: 3 });
        let shortcut = x;
        // 'same' padding keeps ceil(H/2) rows, as the export's ceil_mode AveragePool does.
        if (spec.stride !== 1) shortcut = this.conv(this.pool(x, 'avg', 2, 2, 'same'), { cout: spec.cout, k: 1, bias: false });
        else if (c !== spec.cout) shortcut = this.reluConv(x, spec.cout, 1, 1);
        return this.add(shortcut, b);
      }
      default:
        throw new Error(`the browser tfjs program cannot run block kind ${spec.kind}: it is a primitive-graph lowering only (src/core/lower)`);
    }
  }

  private nb201Cell(x: V, cell: string): V {
    const { edges } = parseNb201Cell(cell);
    const nodes: V[] = [x];
    nb201NodeInputs(edges).forEach((incoming, to) => {
      if (to === 0) return;
      const terms = incoming.map((e) => {
        const edge = nb201EdgeSpec(e.op, x.shape)!;
        return edge.kind === 'identity' ? nodes[e.from] : this.layer(edge, nodes[e.from]);
      });
      nodes.push(terms.length === 0 ? this.zerosLike(x) : this.addN(terms));
    });
    return nodes[nodes.length - 1];
  }
}

const nhwc = (s: readonly number[]) => [s[0], s[2], s[3], s[1]];

/**
 * The program of a ModelUnderTest: a one-op `sum` model adds its `arity` separate inputs; any other
 * model is its ops applied in order to its one input (no ops: the input itself, like the overhead model).
 */
export function tfjsProgram(model: ModelUnderTest): TfProgram {
  for (const op of model.ops) {
    const gap = legacyGap(op.spec);
    if (gap) throw seedKindError(gap, 'the browser tfjs program');
  }
  const b = new Builder(model.inputs.length);
  const inputs: V[] = model.inputs.map((input, i) => ({ i, shape: input.shape as unknown as Shape }));
  let out: V;
  const only = model.ops.length === 1 ? model.ops[0] : undefined;
  if (only?.spec.kind === 'sum' && inputs.length > 1) out = b.addN(inputs);
  else {
    if (inputs.length !== 1) throw new Error(`tfjs program: '${model.key}' has ${inputs.length} inputs; only a one-op sum model may have several`);
    out = model.ops.reduce((v, op) => b.layer(op.spec, v), inputs[0]);
  }
  return { inputs: model.inputs.map((input) => nhwc(input.shape)), weights: b.weights, steps: b.steps, output: out.i };
}
