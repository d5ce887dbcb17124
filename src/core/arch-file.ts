/**
 * Architecture files. Two forms are accepted:
 *   full:  {"format":"hw-nas-arch","version":1,"name":…,"input":[1,3,224,224],"dtype":"f32","layers":[{"role","spec"}…]}
 *   short: {"space":"mbv2","resolution":96,"encoding":[0,3,6,…]}   (built by the named search space)
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
export const ARCH_VERSION = 1;

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
  if (a.version !== ARCH_VERSION) throw bad(`unsupported version ${JSON.stringify(a.version)} (this tool reads version ${ARCH_VERSION})`);
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
    return { role: layer.role as Layer['role'], spec: parsed.spec };
  });
  const arch: Architecture = { name: a.name, input: a.input as unknown as Shape, dtype: 'f32', layers };
  if (a.space !== undefined) arch.space = a.space as Architecture['space'];
  validateArchitectureSpec(arch, where); // shapes chain, fields in range, activations that fit
  return arch;
}

/** Reads an architecture file in either form. */
export async function readArchFile(file: string): Promise<Architecture> {
  return archFromJson(readJsonFile(file, 'architecture'), file);
}

/** An architecture from parsed JSON in any form (full, short, an exported net's sidecar); `file` names it in errors. */
export async function archFromJson(value: unknown, file: string): Promise<Architecture> {
  const a = value as Record<string, unknown>;
  if (a && typeof a === 'object' && typeof a.space === 'string') {
    if (!Array.isArray(a.encoding)) throw new UserError(`${file}: a short-form architecture needs "encoding": [choice, …] for space '${a.space}'`);
    const { createSpace } = await import('../spaces/registry.js');
    const space = createSpace(a.space, { resolution: a.resolution as number | undefined });
    let arch: Architecture;
    try {
      arch = space.build(a.encoding as number[]);
    } catch (e) {
      throw new UserError(`${file}: the encoding does not fit space '${a.space}': ${(e as Error).message}`);
    }
    validateArchitectureSpec(arch, file);
    return arch;
  }
  // The sidecar JSON that `nas export --front` writes beside each ONNX file carries its architecture.
  if (a && typeof a === 'object' && a.format === 'hw-nas-exported-net' && a.architecture !== undefined) return validateArchitecture(a.architecture, `${file}: "architecture"`);
  return validateArchitecture(value, file);
}

export function archToJson(arch: Architecture): object {
  return { format: ARCH_FORMAT, version: ARCH_VERSION, ...arch };
}

export function writeArchFile(file: string, arch: Architecture): void {
  writeFileAtomic(file, JSON.stringify(archToJson(arch), null, 1) + '\n', `architecture file ${file}`);
}
