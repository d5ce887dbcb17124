/**
 * Fuzzing the file parsers (architecture files, LUTs, front files, config files): random mutations of
 * valid files, generated with fast-check, fed to the parser in-process. Every input must end in one of
 * two ways: the parser returns a result that is right (it re-validates and round-trips), or it throws a
 * UserError (exit 2) whose message is one line (config: one line per problem) with no stack trace.
 * Anything else — another exception, a wrong accepted result — fails the property. Shared by the test
 * suite (test/fuzz/parsers.test.ts, ≥ 10,000 inputs per parser) and bench/fuzz-parsers.ts (longer runs).
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { summarize } from '../../devices/stats.js';
import { DEFAULT_PROTOCOL, type DeviceInfo } from '../../devices/types.js';
import { createLut, parseLut, serializeLut } from '../../lut/store.js';
import { ARCH_FORMAT, archToJson, parseJsonText, validateArchitecture } from '../../src/core/arch-file.js';
import { chainArch, classifierHead, convSpec } from '../../src/core/arch.js';
import { archFromJson } from '../../src/spaces/arch-file.js';
import { isUserError } from '../../src/core/errors.js';
import { opKey, parseOpKey } from '../../src/core/keys.js';
import { statsProblem } from '../../src/core/latency-bounds.js';
import { validateArchitectureSpec } from '../../src/core/validate-spec.js';
import { parseConfig } from '../../src/config/config.js';
import { FRONT_FORMAT, FRONT_VERSION, frontMember, parseFront, type FrontFile } from '../../src/search/front-file.js';
import { createSpace } from '../../src/spaces/registry.js';

export interface ParserCase {
  name: string;
  /** Valid files the mutations start from. */
  seeds: string[];
  parse(text: string): unknown;
  /** Throws when an accepted result is wrong. */
  check(result: unknown): void;
  /** Messages may list several problems, one per line. */
  multiLine?: boolean;
}

/** Values a careless or hostile file holds. */
export const SPECIAL: unknown[] = [0, -1, 1, 2, 0.5, -0.0, 1e308, -1e308, 1e-320, 2 ** 53 + 1, 100000, '', 'toString', '__proto__', 'constructor', 'NaN', '1e999', null, true, false, [], {}, [[]], { __proto__: null }, 'ü😀', '\u0000'];

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function getAt(root: unknown, p: Path): unknown {
  return p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], root);
}

/** One structural mutation of a parsed JSON document at the `pick`-th path. */
export function mutateValue(root: unknown, pick: number, op: number, value: unknown): unknown {
  const all = paths(root);
  const p = all[pick % all.length];
  if (p.length === 0) return op % 5 === 0 ? value : root;
  const parent = getAt(root, p.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const key = p[p.length - 1];
  const old = (parent as Record<string | number, unknown>)[key];
  switch (op % 8) {
    case 0:
    case 1:
      (parent as Record<string | number, unknown>)[key] = value;
      break;
    case 2:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, unknown>)[key];
      break;
    case 3:
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(old));
      else (parent as Record<string, unknown>)[`${String(key)}_extra`] = value;
      break;
    case 4:
      (parent as Record<string | number, unknown>)[key] = typeof old === 'number' ? -old : typeof old === 'string' ? old.slice(1) : [old];
      break;
    case 5:
      (parent as Record<string | number, unknown>)[key] = typeof old === 'number' ? old * 1e6 + 0.5 : typeof old === 'string' ? `${old}${old}` : {};
      break;
    case 6:
      (parent as Record<string | number, unknown>)[key] = typeof old === 'number' ? 0 : null;
      break;
    default:
      (parent as Record<string | number, unknown>)[key] = Array.isArray(old) ? [] : typeof old === 'object' ? { ...(old as object), [String(value)]: value } : String(old);
  }
  return root;
}

/** One byte-level mutation: cut, delete a span, insert or replace a character. */
function mutateText(text: string, at: number, op: number, ch: string): string {
  const i = at % (text.length + 1);
  switch (op % 4) {
    case 0:
      return text.slice(0, i);
    case 1:
      return text.slice(0, i) + text.slice(i + 1 + (op % 17));
    case 2:
      return text.slice(0, i) + ch + text.slice(i);
    default:
      return text.slice(0, i) + ch + text.slice(i + 1);
  }
}

/** Inputs: a seed with 1–3 mutations, mostly structural (they reach deeper than broken JSON does). */
export function mutatedInputs(seeds: readonly string[]): fc.Arbitrary<string> {
  const op = fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.oneof(fc.constantFrom(...SPECIAL), fc.jsonValue({ maxDepth: 2 })), fc.string({ maxLength: 2 }));
  return fc.tuple(fc.nat(seeds.length - 1), fc.array(op, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([s, ops, textual]) => {
    if (textual) return ops.reduce((t, [a, b, , , ch]) => mutateText(t, a, b, ch || '"'), seeds[s]);
    const doc = ops.reduce((d, [a, b, , v]) => mutateValue(d, a, b, structuredClone(v)), JSON.parse(seeds[s]) as unknown);
    return JSON.stringify(doc) ?? '';
  });
}

export type Outcome = 'accepted' | 'refused';

/** Runs one input; returns how it ended, or throws describing a failure (crash, bad message, wrong result). */
export async function runOne(c: ParserCase, text: string): Promise<Outcome> {
  let result: unknown;
  try {
    result = await c.parse(text);
  } catch (e) {
    if (!isUserError(e)) throw new Error(`${c.name}: internal error on input ${JSON.stringify(text).slice(0, 400)}: ${(e as Error)?.stack ?? String(e)}`);
    if (e.exitCode !== 2) throw new Error(`${c.name}: exit code ${e.exitCode} for a bad file: ${e.message}`);
    if (!e.message.trim() || /\n\s+at /.test(e.message) || (!c.multiLine && e.message.includes('\n')))
      throw new Error(`${c.name}: message is not one clear line: ${JSON.stringify(e.message)}`);
    return 'refused';
  }
  try {
    c.check(result);
  } catch (e) {
    throw new Error(`${c.name}: accepted a wrong result from ${JSON.stringify(text).slice(0, 400)}: ${(e as Error).message}`);
  }
  return 'accepted';
}

const must = (ok: boolean, why: string) => {
  if (!ok) throw new Error(why);
};

// ---- the seeds and the checks of each parser ----

const DEVICE: DeviceInfo = {
  device: 'mock',
  runtime: 'mock',
  runtimeVersion: '1',
  ep: 'synthetic',
  options: { noise: 0 },
  host: { cpu: 'fuzz', cores: 2, os: 'linux', node: 'v22' },
  timing: 'synthetic',
};

function lutSeed(): string {
  const stats = (m: number) => summarize(Array.from({ length: 9 }, (_, i) => m * (1 + (i - 4) / 100)), 0.05);
  const lut = createLut(DEVICE, DEFAULT_PROTOCOL, stats(0.05));
  lut.createdAt = lut.updatedAt = '2026-01-01T00:00:00.000Z';
  const keys = ['conv:1x3x32x32:c16:k3:s1:g1:d1:relu:f32', 'mbconv:1x16x16x16:c16:k3:s1:e6:se0:relu6:skip1:f32', 'pool:1x8x16x16:max:k3:s2:f32'];
  keys.forEach((k, i) => (lut.entries[k] = { stats: stats(i + 1), net: i + 0.95, coldMs: 3, setupMs: 1, measuredAt: '2026-01-01T00:00:00.000Z' }));
  lut.unsupported = { 'zero:1x8x16x16:s1:f32': 'not here' };
  return serializeLut(lut);
}

const NB201 = createSpace('nb201', { resolution: 32 });
const encodings = [
  [0, 1, 2, 3, 4, 0],
  [3, 3, 3, 3, 3, 3],
  [1, 0, 4, 2, 2, 1],
];

function archSeeds(): string[] {
  // Version 1: a chain (no ids, no inputs).
  const small = {
    format: ARCH_FORMAT,
    version: 1,
    ...chainArch('small', [1, 3, 32, 32], {
      stem: [convSpec(8, 3, 2)],
      blocks: [{ kind: 'mbconv', cout: 8, k: 5, stride: 1, expand: 3, se: 0.25, act: 'hswish', skip: true }],
      head: classifierHead(10),
    }),
  };
  // Version 2: a DAG (ids, inputs naming several layers, a concat join and a two-input sum).
  const dag = {
    format: 'hw-nas-arch',
    version: 2,
    name: 'dag',
    input: [1, 3, 16, 16],
    dtype: 'f32',
    layers: [
      { role: 'stem', spec: { kind: 'conv', cout: 8, k: 3, stride: 2, groups: 1, dilation: 1, act: 'relu' } },
      { role: 'block', id: 'a', inputs: ['layer0'], spec: { kind: 'conv', cout: 4, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' } },
      { role: 'block', id: 'b', inputs: ['layer0'], spec: { kind: 'pool', mode: 'max', k: 3, stride: 1 } },
      { role: 'block', id: 'mixed', inputs: ['a', 'b'], spec: { kind: 'concat', channels: [4, 8] } },
      { role: 'block', id: 'project', spec: { kind: 'conv', cout: 8, k: 1, stride: 1, groups: 1, dilation: 1, act: 'none' } },
      { role: 'block', id: 'residual', inputs: ['project', 'layer0'], spec: { kind: 'sum', arity: 2 } },
      { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
    ],
  };
  return [
    JSON.stringify(small),
    JSON.stringify(dag),
    JSON.stringify(archToJson(NB201.build(encodings[0]))),
    JSON.stringify({ space: 'nb201', resolution: 32, encoding: encodings[1] }),
    JSON.stringify({ format: 'hw-nas-exported-net', architecture: archToJson(NB201.build(encodings[2])) }),
  ];
}

function frontSeed(): string {
  const members = encodings.slice(0, 2).map((e, i) => frontMember(NB201.build(e), 70 + i, { ms: 1 + i, ci95: [0.9 + i, 1.1 + i] }));
  const front: FrontFile = {
    format: FRONT_FORMAT,
    version: FRONT_VERSION,
    space: { id: 'nb201', options: { resolution: 32 } },
    latency: { id: 'table:nb201:pixel3', provenance: { kind: 'table' } },
    evaluator: { id: 'table:nb201:cifar10', provenance: { kind: 'table' } },
    target: { latencyMs: 2 },
    strategy: 'nsga2',
    seed: 0,
    budget: 10,
    evaluations: 10,
    best: members[1].name,
    members,
    created: '2026-01-01T00:00:00.000Z',
  };
  return JSON.stringify(front);
}

const COMMANDS = ['profile', 'predict', 'export', 'lut', 'devices', 'search', 'train', 'verify', 'demo'];

export function parserCases(): ParserCase[] {
  return [
    {
      name: 'architecture file',
      seeds: archSeeds(),
      parse: (text) => archFromJson(parseJsonText(text, 'fuzz.json', 'architecture'), 'fuzz.json'),
      check: (r) => {
        const arch = r as ReturnType<typeof validateArchitecture>;
        validateArchitectureSpec(arch);
        const again = validateArchitecture(JSON.parse(JSON.stringify(archToJson(arch))), 'round trip');
        must(isDeepStrictEqual(again, arch), 'does not round-trip through its own JSON');
      },
    },
    {
      name: 'LUT file',
      seeds: [lutSeed()],
      parse: (text) => parseLut(text, 'LUT file fuzz.json'),
      check: (r) => {
        const lut = r as ReturnType<typeof parseLut>;
        must(statsProblem(lut.overhead) === undefined, 'implausible overhead accepted');
        for (const [k, e] of Object.entries(lut.entries)) {
          must(opKey(parseOpKey(k)) === k, `non-canonical key ${k} accepted`);
          must(statsProblem(e.stats) === undefined, `implausible entry ${k} accepted`);
        }
        must(isDeepStrictEqual(parseLut(serializeLut(lut), 'round trip'), lut), 'does not round-trip through serializeLut');
      },
    },
    {
      name: 'front file',
      seeds: [frontSeed()],
      parse: (text) => parseFront(text, 'fuzz.json'),
      check: (r) => {
        const front = r as FrontFile;
        for (const m of front.members) {
          const arch = validateArchitecture(m.architecture, 'member');
          if (arch.space?.id === front.space.id) must(isDeepStrictEqual(arch.space.encoding, m.encoding), 'member encoding differs from its architecture');
        }
        must(front.best === null || front.members.some((m) => m.name === front.best), 'best is not a member');
        must(isDeepStrictEqual(parseFront(JSON.stringify(front), 'round trip'), front), 'does not round-trip');
      },
    },
    {
      name: 'config file',
      multiLine: true,
      seeds: [
        JSON.stringify({ $schema: './nas.config.schema.json', defaults: { device: 'mock', threads: 1, 'device-opt': ['noise=0'], warmup: 2, seed: 3 }, verify: { 'max-error': 15 }, profile: { calibrate: 0 } }),
      ],
      parse: (text) => parseConfig(text, 'fuzz.json', COMMANDS),
      check: (r) => {
        must(typeof r === 'object' && r !== null && !Array.isArray(r), 'not an object');
        for (const k of Object.keys(r as object)) must(['$schema', 'defaults', ...COMMANDS].includes(k), `unknown section ${k} accepted`);
      },
    },
  ];
}

/** Fuzzes one parser with `runs` inputs; returns how many were accepted and refused. Throws on the first failure (shrunk). */
export async function fuzzParser(c: ParserCase, runs: number, seed?: number): Promise<Record<Outcome, number>> {
  const counts: Record<Outcome, number> = { accepted: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(mutatedInputs(c.seeds), async (text) => {
      counts[await runOne(c, text)]++;
    }),
    { numRuns: runs, seed, endOnFailure: false },
  );
  return counts;
}
