/**
 * Architecture files. Two forms are accepted:
 *   full:  {"format":"hw-nas-arch","version":2,"name":…,"input":[1,3,224,224],"dtype":"f32","layers":[{"role","spec"}…]}
 *          version 2 lets a layer carry an "id" and name its "inputs" (a DAG); version 1 files (chains) are still read,
 *          and a chain is still written as version 1, so older readers keep reading it
 *   short: {"space":"mbv2","resolution":96,"encoding":[0,3,6,…]}   (built by the named search space: spaces/arch-file.ts)
 * Every layer spec is checked field by field through the canonical key, so a file can never hold a
 * block the exporter and the LUT would read differently.
 */
import { readFileSync, statSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import { isDeepStrictEqual } from 'node:util';
import type { Architecture, Layer } from './arch.js';
import { oneLine, UserError } from './errors.js';
import { opKey, parseOpKey } from './keys.js';
import type { Shape } from './ops.js';
import { validateArchitectureSpec } from './validate-spec.js';

export const ARCH_FORMAT = 'hw-nas-arch';
/** The newest version this tool reads and writes (2: DAG layers with id and inputs). */
export const ARCH_VERSION = 2;
const ARCH_VERSIONS = [1, 2];

export function readJsonFile(file: string, what: string): unknown {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new UserError(`${what} file not found: ${file}`);
  }
  if (stat.isDirectory()) throw new UserError(`${what} path is a directory, expected a file: ${file}`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${what} file ${file}: ${(e as Error).message}`);
  }
  return parseJsonText(text, file, what);
}

/** JSON.parse with the error a user sees: "<what> file <file> is not valid JSON: …". */
export function parseJsonText(text: string, file: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${what} file ${file} is not valid JSON: ${oneLine((e as Error).message)}`);
  }
}

/** Validates a parsed architecture object (full form). */
export function validateArchitecture(value: unknown, where: string): Architecture {
  const bad = (why: string) => new UserError(`${where}: ${oneLine(why, 600)}`, { hint: `see docs/formats.md for the ${ARCH_FORMAT} format` });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('expected a JSON object');
  const a = value as Record<string, unknown>;
  if (a.format !== ARCH_FORMAT) throw bad(`"format" must be "${ARCH_FORMAT}", got ${JSON.stringify(a.format)}`);
  if (!ARCH_VERSIONS.includes(a.version as number)) throw bad(`unsupported version ${JSON.stringify(a.version)} (this tool reads versions ${ARCH_VERSIONS.join(' and ')})`);
  if (typeof a.name !== 'string' || !a.name) throw bad('"name" must be a non-empty string');
  if (!Array.isArray(a.input) || a.input.length !== 4 || !a.input.every((d) => Number.isInteger(d) && d > 0))
    throw bad(`"input" must be [N, C, H, W] positive integers, got ${JSON.stringify(a.input)}`);
  if (a.dtype !== 'f32') throw bad(`"dtype" must be "f32", got ${JSON.stringify(a.dtype)}`);
  if (!Array.isArray(a.layers) || a.layers.length === 0) throw bad('"layers" must be a non-empty array');
  const layers: Layer[] = a.layers.map((l, i) => {
    const layer = l as Record<string, unknown>;
    if (!['stem', 'block', 'head'].includes(layer?.role as string)) throw bad(`layer ${i}: "role" must be stem, block or head`);
    const spec = layer.spec as { kind?: unknown } | undefined;
    if (typeof spec !== 'object' || spec === null) throw bad(`layer ${i}: "spec" must be an object`);
    let parsed;
    try {
      parsed = parseOpKey(opKey({ spec: spec as never, input: [1, 1, 1, 1], dtype: 'f32' }));
    } catch (e) {
      throw bad(`layer ${i}: ${(e as Error).message}`);
    }
    if (!isDeepStrictEqual(parsed.spec, spec)) throw bad(`layer ${i}: spec has missing, extra or mistyped fields: ${JSON.stringify(spec)}`);
    const out: Layer = { role: layer.role as Layer['role'], spec: parsed.spec };
    if (layer.id !== undefined || layer.inputs !== undefined) {
      if (a.version === 1) throw bad(`layer ${i}: "id" and "inputs" need version 2 (version 1 files are chains)`);
      if (layer.id !== undefined) {
        if (typeof layer.id !== 'string') throw bad(`layer ${i}: "id" must be a string`);
        out.id = layer.id;
      }
      if (layer.inputs !== undefined) {
        if (!Array.isArray(layer.inputs) || !layer.inputs.length || !layer.inputs.every((x) => typeof x === 'string'))
          throw bad(`layer ${i}: "inputs" must be a non-empty list of layer ids (or "input")`);
        out.inputs = [...(layer.inputs as string[])];
      }
    }
    return out;
  });
  const arch: Architecture = { name: a.name, input: a.input as unknown as Shape, dtype: 'f32', layers };
  if (a.space !== undefined) arch.space = a.space as Architecture['space'];
  validateArchitectureSpec(arch, where); // ids resolve, shapes fit, fields in range, activations that fit
  return arch;
}

/**
 * An architecture from a parsed JSON value in full form, or the sidecar JSON that `nas export --front`
 * writes beside each ONNX file (it carries its architecture). The short form needs the search spaces:
 * spaces/arch-file.ts reads files in every form.
 */
export function architectureFromJson(value: unknown, file: string): Architecture {
  const a = value as Record<string, unknown>;
  if (a && typeof a === 'object' && a.format === 'hw-nas-exported-net' && a.architecture !== undefined) return validateArchitecture(a.architecture, `${file}: "architecture"`);
  return validateArchitecture(value, file);
}

export function archToJson(arch: Architecture): object {
  return { format: ARCH_FORMAT, version: arch.layers.some((l) => l.id !== undefined || l.inputs !== undefined) ? ARCH_VERSION : 1, ...arch };
}

export function writeArchFile(file: string, arch: Architecture): void {
  writeFileAtomic(file, JSON.stringify(archToJson(arch), null, 1) + '\n', `architecture file ${file}`);
}
