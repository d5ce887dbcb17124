/**
 * Reading any ONNX file (opsets 7–21) into an OnnxGraph with every tensor's shape inferred from the
 * input shapes. Shape arithmetic (Shape, Gather, Constant, Concat, … on known values) is folded: those
 * nodes are marked `folded` and are not kernels a runtime runs per inference.
 *
 * Every way a file can be unreadable is one UserError (exit 2) that says what and how to fix it: not
 * ONNX or truncated, an opset outside 7–21, external data whose file is missing or short, a dynamic
 * input dimension without --input-shape, an op whose output shape cannot be inferred.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type onnxProto from 'onnx-proto';
import { readOnnxModel } from '../../export/model.js';
import { oneLine, UserError } from '../core/errors.js';
import type { OnnxGraph, OnnxNode, TensorInfo } from './graph.js';
import { DATA_DEPENDENT_OPS, InferError, OPTIONAL_FIRST_OUTPUT, RULES, SHAPE_ONLY_OPS, type Out } from './infer.js';
import { DTYPE_NAMES, attrValue, isExternal, num, tensorDims, tensorValues, type AttrValue } from './tensor.js';

export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

export interface ReadOptions {
  /** Shapes for inputs whose dims are dynamic (or to override the file's), by input name. */
  inputShapes?: Record<string, number[]>;
}

/** "x=1x3x640x640" → ["x", [1, 3, 640, 640]]. */
export function parseInputShape(text: string): [string, number[]] {
  const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(text);
  if (!m || m[2].split('x').some((d) => Number(d) < 1))
    throw new UserError(`--input-shape must look like NAME=1x3x224x224 (positive dims), got '${text}'`);
  return [m[1], m[2].split('x').map(Number)];
}

/**
 * `--input-shape` values for several files: `NAME=dims` applies to every file, `FILE:NAME=dims` (FILE as given to
 * --onnx, or its base name) to that file only and wins over a plain one. A name with a colon (TensorFlow's
 * `input:0`) stays a plain name unless what precedes the colon is one of the files.
 */
export function inputShapesByFile(texts: readonly string[], files: readonly string[]): Map<string, Record<string, number[]>> {
  const common: [string, number[]][] = [];
  const own = new Map<string, [string, number[]][]>(files.map((f) => [f, []]));
  for (const text of texts) {
    const file = files.find((f) => text.startsWith(`${f}:`)) ?? files.find((f) => text.startsWith(`${path.basename(f)}:`));
    if (file === undefined) common.push(parseInputShape(text));
    else {
      const prefix = text.startsWith(`${file}:`) ? file : path.basename(file);
      const matches = files.filter((f) => f === prefix || path.basename(f) === prefix);
      if (matches.length > 1) throw new UserError(`--input-shape ${text}: '${prefix}' names ${matches.length} of the --onnx files; give its path as passed to --onnx`);
      own.get(file)!.push(parseInputShape(text.slice(prefix.length + 1)));
    }
  }
  return new Map(files.map((f) => [f, Object.fromEntries([...common, ...own.get(f)!])]));
}

function externalDataCheck(file: string, t: onnxProto.onnx.ITensorProto, what: string): void {
  const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.location;
  if (!location) throw new UserError(`'${file}': ${what} '${t.name}' says its data is external but names no file`);
  const dataPath = path.resolve(path.dirname(file), location);
  if (!existsSync(dataPath))
    throw new UserError(`'${file}': the external data file '${location}' of ${what} '${t.name}' is missing (looked for ${dataPath})`, {
      hint: 'copy the data file next to the model, keeping the name the model gives it',
    });
  const need = num(kv.offset ?? 0) + num(kv.length ?? 0);
  if (statSync(dataPath).size < need)
    throw new UserError(`'${file}': the external data file '${location}' is shorter (${statSync(dataPath).size} bytes) than ${what} '${t.name}' needs (${need})`, {
      hint: 'the data file is truncated: copy it again',
    });
}

function dtypeOf(elemType: number | null | undefined): string {
  return DTYPE_NAMES[elemType ?? 0]?.name ?? 'unknown';
}

/** Kahn order over the nodes (the spec requires files to be sorted; some are not). */
function topoOrder(nodes: OnnxNode[], known: Set<string>): OnnxNode[] {
  const producer = new Map<string, OnnxNode>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const done = new Set<number>();
  const order: OnnxNode[] = [];
  const visit = (n: OnnxNode, stack: Set<number>) => {
    if (done.has(n.index)) return;
    if (stack.has(n.index)) throw new UserError(`the graph has a cycle through node '${n.name || '#' + n.index}' (${n.opType})`);
    stack.add(n.index);
    for (const i of n.inputs) {
      if (!i || known.has(i)) continue;
      const p = producer.get(i);
      if (p) visit(p, stack);
    }
    stack.delete(n.index);
    done.add(n.index);
    order.push(n);
  };
  for (const n of nodes) visit(n, new Set());
  return order;
}

/** Reads `file` into a graph; every refusal is one UserError whose message stays on one line. */
export async function readOnnxGraph(file: string, opts: ReadOptions = {}): Promise<OnnxGraph> {
  try {
    return await readGraph(file, opts);
  } catch (e) {
    // Names quoted from a damaged file can hold newlines and control bytes, or run for kilobytes.
    if (e instanceof UserError && e.constructor === UserError && oneLine(e.message, 1000) !== e.message)
      throw new UserError(oneLine(e.message, 1000), { hint: e.hint, exitCode: e.exitCode, cause: e });
    throw e;
  }
}

async function readGraph(file: string, opts: ReadOptions): Promise<OnnxGraph> {
  const model = await readOnnxModel(file);
  const g = model.graph!;
  const imports = model.opsetImport ?? [];
  const main = imports.find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = main ? num(main.version) : 0;
  if (!main || opset < MIN_OPSET || opset > MAX_OPSET)
    throw new UserError(`'${file}' uses ONNX opset ${main ? opset : '(none imported)'}; this reader handles opsets ${MIN_OPSET}–${MAX_OPSET}`, {
      hint: 'convert it with onnx.version_converter (python: onnx.version_converter.convert_version(model, 17))',
    });
  const domains = Object.fromEntries(imports.filter((o) => o !== main).map((o) => [o.domain ?? '', num(o.version)]));

  const tensors = new Map<string, TensorInfo>();
  for (const t of g.initializer ?? []) {
    if (!tensorDims(t).every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new UserError(`'${file}': initializer '${t.name}' has dims [${tensorDims(t).join(', ')}]; dims are whole numbers ≥ 0`);
    if (isExternal(t)) externalDataCheck(file, t, 'initializer');
    tensors.set(t.name ?? '', { name: t.name ?? '', shape: tensorDims(t), dtype: dtypeOf(t.dataType), constant: true, value: isExternal(t) ? undefined : tensorValues(t), proto: t });
  }

  // Graph inputs (IR < 4 lists initializers as inputs too; those keep their initializer).
  // Own names only: an input called 'toString' or '__proto__' is not a given shape.
  const given: Record<string, number[]> = Object.assign(Object.create(null), opts.inputShapes);
  const inputs: OnnxGraph['inputs'] = [];
  const dynamic: string[] = [];
  const examples: string[] = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (tensors.has(name) && !(name in given)) continue;
    const tt = vi.type?.tensorType;
    // A dim is fixed when its dim_value is set (0 is a legal size); a dim_param or nothing is dynamic.
    const dims = (tt?.shape?.dim ?? []).map((d) => ((d as { value?: string }).value === 'dimValue' ? num(d.dimValue) : d.dimParam || '?'));
    if (dims.some((d) => typeof d === 'number' && !(Number.isSafeInteger(d) && d >= 0)))
      throw new UserError(`'${file}': input '${name}' has dims [${dims.join(', ')}]; a fixed dim must be a whole number ≥ 0 (a dynamic one is a dim_param)`);
    let shape: number[];
    if (name in given) {
      shape = given[name];
      if (dims.length && shape.length !== dims.length)
        throw new UserError(`--input-shape ${name}=${shape.join('x')} has ${shape.length} dims; input '${name}' has ${dims.length} ([${dims.join(', ')}])`);
      dims.forEach((d, i) => {
        if (typeof d === 'number' && d !== shape[i])
          throw new UserError(`--input-shape ${name}=${shape.join('x')}: dim ${i} of input '${name}' is fixed at ${d} in the file`);
      });
      delete given[name];
    } else if (dims.some((d) => typeof d !== 'number')) {
      dynamic.push(`'${name}' [${dims.join(', ')}]`);
      examples.push(inputShapeExample(name, dims));
      continue;
    } else shape = dims as number[];
    const dtype = dtypeOf(tt?.elemType);
    inputs.push({ name, shape, dtype });
    tensors.set(name, { name, shape, dtype, constant: false });
  }
  const unknownGiven = Object.keys(given);
  if (unknownGiven.length)
    throw new UserError(`--input-shape names ${unknownGiven.map((n) => `'${n}'`).join(', ')}, which ${unknownGiven.length > 1 ? 'are not inputs' : 'is not an input'} of '${file}'`, {
      hint: `its inputs: ${inputs.map((i) => i.name).concat(dynamic).join(', ')}`,
    });
  if (dynamic.length) {
    const open = examples.some((e) => e.includes('<'));
    throw new UserError(`'${file}' has dynamic input dimensions: ${dynamic.join('; ')}`, {
      hint: `give every dim, e.g. ${examples.map((e) => `--input-shape ${e}`).join(' ')}${open ? ' (the file fixes the dims given; put the size you run it at for each <…>)' : ''}`,
    });
  }

  // Shapes the file records for intermediate tensors: used only for ops without a rule here.
  const recorded = new Map<string, { shape: number[]; dtype: string }>();
  for (const vi of [...(g.valueInfo ?? []), ...(g.output ?? [])]) {
    const dims = vi.type?.tensorType?.shape?.dim;
    if (!dims || dims.some((d) => d.dimValue == null || num(d.dimValue) <= 0)) continue;
    recorded.set(vi.name ?? '', { shape: dims.map((d) => num(d.dimValue)), dtype: dtypeOf(vi.type?.tensorType?.elemType) });
  }

  const nodes: OnnxNode[] = (g.node ?? []).map((n, index) => {
    const attrs: Record<string, AttrValue> = Object.create(null); // an attribute may be called '__proto__'
    for (const a of n.attribute ?? []) attrs[a.name ?? ''] = attrValue(a);
    return { index, name: n.name ?? '', opType: n.opType ?? '', domain: n.domain && n.domain !== 'ai.onnx' ? n.domain : '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs, folded: false };
  });
  for (const n of nodes) {
    const t = n.attrs.value;
    if (n.opType === 'Constant' && t && typeof t === 'object' && !Array.isArray(t) && isExternal(t)) externalDataCheck(file, t, 'Constant');
  }

  const ordered = topoOrder(nodes, new Set(tensors.keys()));
  for (const node of ordered) {
    const ins = node.inputs.map((name) => (name ? tensors.get(name) : undefined));
    node.inputs.forEach((name, i) => {
      if (name && !ins[i]) throw new UserError(`'${file}': node '${node.name || '#' + node.index}' (${node.opType}) reads '${name}', which no node, input or initializer provides`);
    });
    // Every ONNX op but the recurrent ones has a required first output; a node writing none is a damaged file.
    if (!(node.outputs[0] || (OPTIONAL_FIRST_OUTPUT.has(node.opType) && node.outputs.some(Boolean)))) throw new UserError(`'${file}': node '${node.name || '#' + node.index}' (${node.opType}) has no output`, { hint: 'check the file with onnx.checker.check_model' });
    const rule = node.domain === '' && Object.hasOwn(RULES, node.opType) ? RULES[node.opType] : undefined;
    let outs: Out[];
    try {
      if (rule) outs = rule({ node, opset, ins });
      else {
        outs = node.outputs.map((o) => recorded.get(o) ?? { shape: [], dtype: '' });
        if (node.outputs.some((o) => o && !recorded.has(o)))
          throw new InferError(
            `op ${node.domain ? node.domain + '.' : ''}${node.opType} at node '${node.name || '#' + node.index}' has no shape rule here and the file does not record its output shapes${
              node.domain === '' && Object.hasOwn(DATA_DEPENDENT_OPS, node.opType) ? ` (its output shape depends on ${DATA_DEPENDENT_OPS[node.opType]})` : ''
            }`,
          );
      }
      // A rule given an input or attribute out of range (a damaged or hand-edited file) can compute NaN
      // or negative dims: refuse here, naming the node, rather than pass them on.
      const bad = outs.findIndex((o) => !o?.shape.every((d) => Number.isFinite(d) && d >= 0));
      if (bad >= 0 || (outs.length === 0 && node.outputs.some(Boolean)))
        throw new InferError(
          `${node.opType} node '${node.name || '#' + node.index}' gives output ${Math.max(bad, 0)} the shape [${outs[Math.max(bad, 0)]?.shape.join(', ') ?? ''}]: an input or attribute is out of range`,
        );
    } catch (e) {
      // A node without an input its op requires, or an attribute of another type (a list where a number
      // belongs): the rules read the spec's layout and fail on the missing piece. That is the file's fault.
      if (e instanceof TypeError || e instanceof RangeError)
        throw new UserError(
          `'${file}': cannot infer shapes: ${node.opType} node '${node.name || '#' + node.index}' (inputs: ${node.inputs.join(', ') || 'none'}) lacks an input or attribute its op requires, or holds one of another type (${e.message})`,
          { hint: 'check the file with onnx.checker.check_model; if it passes, please report this', cause: e },
        );
      if (!(e instanceof InferError)) throw e;
      const where = e.message.includes(`'${node.name || '#' + node.index}'`) ? '' : `${node.opType} node '${node.name || '#' + node.index}': `;
      throw new UserError(`'${file}': cannot infer shapes: ${where}${e.message}`, {
        hint: 'check --input-shape; a model exported with shape annotations (onnx.shape_inference.infer_shapes) lets unknown ops through',
      });
    }
    const present = ins.filter(Boolean) as TensorInfo[];
    node.folded = SHAPE_ONLY_OPS.has(node.opType) || (node.domain === '' && present.length > 0 ? present.every((t) => t.constant) : node.opType === 'Constant');
    node.outputs.forEach((name, i) => {
      if (!name) return;
      const o = outs[i] ?? outs[0];
      const proto = node.opType === 'Constant' && typeof node.attrs.value === 'object' ? (node.attrs.value as onnxProto.onnx.ITensorProto) : undefined;
      tensors.set(name, { name, shape: o.shape.map(Math.round), dtype: o.dtype, constant: node.folded, value: node.folded ? o.value : undefined, proto });
    });
  }
  const outputs = (g.output ?? []).map((o) => o.name ?? '');
  for (const o of outputs) if (!tensors.has(o)) throw new UserError(`'${file}': graph output '${o}' is produced by no node`);
  return { file, irVersion: num(model.irVersion), opset, domains, inputs, outputs, nodes: ordered, tensors, model };
}

/**
 * The --input-shape an error suggests for an input with dynamic dims: its own name and fixed dims, 1 for a
 * dynamic first (batch) dim, and the other dynamic dims as <their dim_param> for the user to fill in.
 */
export function inputShapeExample(name: string, dims: readonly (number | string)[]): string {
  return `${name}=${dims.map((d, i) => (typeof d === 'number' ? String(d) : i === 0 ? '1' : `<${d === '?' ? `dim ${i}` : d}>`)).join('x')}`;
}
