/**
 * A small builder over onnx-proto's ModelProto: initializers, nodes with attributes, graph inputs and
 * outputs, unique tensor names. The models it writes are IR 8 / opset 17 in the default domain, the
 * newest pair Debian's onnx 1.12 checker accepts (it rejects IR 9), and onnxruntime runs them.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const IR_VERSION = 8;
export const OPSET = 17;
export const PRODUCER = 'hw-nas';

/**
 * An attribute value: an integer is INT, an integer list is INTS, a string is STRING;
 * floats must be wrapped ({ f } / { floats }) because 1.0 and 1 are the same JS number.
 */
export type AttrValue = number | number[] | string | { f: number } | { floats: number[] };

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const AT = onnx.AttributeProto.AttributeType;

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const ints = (v: number[]) => {
    for (const x of v) if (!Number.isInteger(x)) throw new Error(`attribute ${name}: ${x} is not an integer; wrap floats as { f } / { floats }`);
    return v;
  };
  if (typeof value === 'number') return { name, type: AT.INT, i: ints([value])[0] };
  if (typeof value === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AT.INTS, ints: ints(value) };
  if ('f' in value) return { name, type: AT.FLOAT, f: value.f };
  return { name, type: AT.FLOATS, floats: value.floats };
}

function valueInfo(name: string, shape: readonly number[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly scalars = new Map<number, string>();
  private readonly producedBy = new Map<string, onnxProto.onnx.INodeProto>();

  /** A tensor name not used yet, built from `base` (base itself when free, else base_1, base_2...). */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  /** Claims an exact name; a clash is a bug in the caller (weight names must be stable for WeightSource). */
  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph: tensor name '${name}' is used twice`);
    this.names.add(name);
    return name;
  }

  addInput(name: string, shape: readonly number[]): string {
    this.inputs.push(valueInfo(this.claim(name), shape));
    return name;
  }

  /** A float initializer under exactly `name`. */
  addInitializer(name: string, dims: readonly number[], data: Float32Array): string {
    if (data.length !== count(dims)) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
    this.initializers.push({
      name: this.claim(name),
      dims: [...dims],
      dataType: FLOAT,
      // Little-endian raw bytes, as ONNX requires; copy so later writes to `data` cannot leak in.
      rawData: new Uint8Array(data.slice().buffer),
    });
    return name;
  }

  /** An int64 initializer (Slice starts/ends/steps, Reshape shapes). */
  addInt64(base: string, values: readonly number[]): string {
    const name = this.uniqueName(base);
    this.initializers.push({ name, dims: [values.length], dataType: INT64, int64Data: [...values] });
    return name;
  }

  /** A float scalar constant, shared by every node that needs the same value. */
  scalar(value: number): string {
    let name = this.scalars.get(value);
    if (!name) {
      name = this.uniqueName(`const_${String(value).replace(/[^0-9a-z]/gi, '_')}`);
      this.initializers.push({ name, dims: [], dataType: FLOAT, floatData: [value] });
      this.scalars.set(value, name);
    }
    return name;
  }

  /** Adds a one-output node and returns its output's (unique) name, built from `outBase`. */
  addNode(opType: string, inputs: readonly string[], outBase: string, attrs: Record<string, AttrValue> = {}): string {
    for (const x of inputs) if (!this.names.has(x)) throw new Error(`ONNX graph: ${opType} reads '${x}', which does not exist yet`);
    const output = this.uniqueName(outBase);
    const node: onnxProto.onnx.INodeProto = {
      opType,
      name: output,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    };
    this.nodes.push(node);
    this.producedBy.set(output, node);
    return output;
  }

  /** Adds a node with several outputs (Split); returns their unique names, built from `outBases`. */
  addNodeOutputs(opType: string, inputs: readonly string[], outBases: readonly string[], attrs: Record<string, AttrValue> = {}): string[] {
    for (const x of inputs) if (!this.names.has(x)) throw new Error(`ONNX graph: ${opType} reads '${x}', which does not exist yet`);
    const outputs = outBases.map((b) => this.uniqueName(b));
    const node: onnxProto.onnx.INodeProto = { opType, name: outputs[0], input: [...inputs], output: outputs, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) };
    this.nodes.push(node);
    return outputs;
  }

  /**
   * Declares `tensor` as a graph output called `name`. The producing node is renamed in place when it
   * can be; a tensor no node of ours produces (a graph input, or one already exported) goes through
   * an Identity, since ONNX forbids a graph input from also being an output under the same name.
   */
  addOutput(tensor: string, name: string, shape: readonly number[]): string {
    const node = this.producedBy.get(tensor);
    if (node && !this.outputs.some((o) => o.name === tensor) && !this.names.has(name)) {
      this.claim(name);
      node.output = [name];
      node.name = name;
      for (const n of this.nodes) n.input = n.input!.map((x) => (x === tensor ? name : x));
      this.producedBy.delete(tensor);
      this.producedBy.set(name, node);
      this.names.delete(tensor);
    } else {
      this.claim(name);
      const identity: onnxProto.onnx.INodeProto = { opType: 'Identity', name, input: [tensor], output: [name] };
      this.nodes.push(identity);
      this.producedBy.set(name, identity);
    }
    this.outputs.push(valueInfo(name, shape));
    return name;
  }

  build(graphName: string): onnxProto.onnx.ModelProto {
    if (!this.outputs.length) throw new Error(`ONNX graph ${graphName}: no output declared`);
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: PRODUCER,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  encode(graphName: string): Uint8Array {
    return onnx.ModelProto.encode(this.build(graphName)).finish();
  }
}
