/**
 * Front files ("hw-nas-front", version 1): the result of a search, with everything needed to trust
 * and reuse it: the space and its options, where latency and accuracy came from, the target, the
 * strategy and seed, and each member's full architecture (an hw-nas-arch document, ready for export).
 *
 *   {"format":"hw-nas-front","version":1,"space":{"id":"nb201","options":{"resolution":32}},
 *    "latency":{"id":…,"provenance":{…}},"evaluator":{"id":…,"provenance":{…}},
 *    "target":{"latencyMs":5}|null,"strategy":"nsga2","seed":0,"budget":300,"evaluations":300,
 *    "best":"<name>"|null,"members":[{"name","encoding","architecture","accuracy","latency":{"ms","ci95"}}],
 *    "created":"2026-…Z"}
 */
import { writeFileAtomic } from '../core/atomic-file.js';
import { isDeepStrictEqual } from 'node:util';
import { archToJson, parseJsonText, readJsonFile, validateArchitecture } from '../core/arch-file.js';
import type { Architecture } from '../core/arch.js';
import { oneLine, UserError } from '../core/errors.js';
import type { SpaceOptions } from '../core/space.js';
import { archMetrics, COST_METRICS, type GraphMetrics } from '../core/arch-metrics.js';
import type { CostLimits } from './constraints.js';

export const FRONT_FORMAT = 'hw-nas-front';
export const FRONT_VERSION = 1;

export interface FrontMember {
  name: string;
  encoding: number[];
  /** An hw-nas-arch document (src/core/arch-file.ts). */
  architecture: Architecture & { format?: string; version?: number };
  accuracy: number;
  latency: { ms: number; ci95: [number, number] | null };
  /** MACs, parameters, activations of the architecture's graph (absent in fronts written before they were reported). */
  metrics?: GraphMetrics;
}

export interface Provenanced {
  id: string;
  provenance: Record<string, unknown>;
}

export interface FrontFile {
  format: typeof FRONT_FORMAT;
  version: typeof FRONT_VERSION;
  space: { id: string; options: SpaceOptions };
  latency: Provenanced;
  evaluator: Provenanced;
  target: { latencyMs: number } | null;
  /** Cost limits the search honoured (--max-macs, …), when it had any. */
  limits?: CostLimits;
  strategy: string;
  seed: number;
  budget: number;
  evaluations: number;
  /** Name of the most accurate member within the target (or overall without one). */
  best: string | null;
  /** Non-dominated candidates, fastest first. */
  members: FrontMember[];
  created: string;
}

export function frontMember(arch: Architecture, accuracy: number, latency: { ms: number; ci95?: [number, number] }): FrontMember {
  return {
    name: arch.name,
    encoding: [...(arch.space?.encoding ?? [])],
    architecture: archToJson(arch) as FrontMember['architecture'],
    accuracy,
    latency: { ms: latency.ms, ci95: latency.ci95 ?? null },
    metrics: archMetrics(arch),
  };
}

/** Writes atomically (temporary file + rename), so a killed process never leaves half a front. */
export function writeFrontFile(file: string, front: FrontFile): void {
  writeFileAtomic(file, JSON.stringify(front, null, 1) + '\n', `front file ${file}`);
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a parsed front document field by field; errors name the file and the field. */
export function validateFront(value: unknown, where: string): FrontFile {
  const bad = (why: string) => new UserError(`${where}: ${oneLine(why, 600)}`, { hint: `a front file is written by nas search (format "${FRONT_FORMAT}" version ${FRONT_VERSION})` });
  if (!isObj(value)) throw bad('expected a JSON object');
  if (value.format !== FRONT_FORMAT) throw bad(`"format" must be "${FRONT_FORMAT}", got ${JSON.stringify(value.format)}`);
  if (value.version !== FRONT_VERSION) throw bad(`unsupported version ${JSON.stringify(value.version)} (this tool reads version ${FRONT_VERSION})`);
  const space = value.space;
  if (!isObj(space) || typeof space.id !== 'string' || !isObj(space.options)) throw bad('"space" must be {"id": string, "options": object}');
  for (const field of ['latency', 'evaluator'] as const) {
    const p = value[field];
    if (!isObj(p) || typeof p.id !== 'string' || !isObj(p.provenance)) throw bad(`"${field}" must be {"id": string, "provenance": object}`);
  }
  const target = value.target;
  if (target !== null && !(isObj(target) && isNum(target.latencyMs) && target.latencyMs > 0)) throw bad('"target" must be null or {"latencyMs": positive number}');
  if (typeof value.strategy !== 'string' || !value.strategy) throw bad('"strategy" must be a non-empty string');
  for (const field of ['seed', 'budget', 'evaluations'] as const) if (!Number.isInteger(value[field])) throw bad(`"${field}" must be an integer`);
  if (typeof value.created !== 'string' || Number.isNaN(Date.parse(value.created))) throw bad('"created" must be an ISO date string');
  if (!Array.isArray(value.members)) throw bad('"members" must be an array');
  const names = new Set<string>();
  value.members.forEach((m, i) => {
    const at = `member ${i}`;
    if (!isObj(m)) throw bad(`${at} must be an object`);
    if (typeof m.name !== 'string' || !m.name) throw bad(`${at}: "name" must be a non-empty string`);
    if (!Array.isArray(m.encoding) || !m.encoding.every(Number.isInteger)) throw bad(`${at}: "encoding" must be an array of integers`);
    if (!isNum(m.accuracy)) throw bad(`${at}: "accuracy" must be a number`);
    const lat = m.latency;
    if (!isObj(lat) || !isNum(lat.ms) || !(lat.ci95 === null || (Array.isArray(lat.ci95) && lat.ci95.length === 2 && lat.ci95.every(isNum))))
      throw bad(`${at}: "latency" must be {"ms": number, "ci95": [low, high] | null}`);
    if (m.metrics !== undefined && !(isObj(m.metrics) && COST_METRICS.every((k) => isNum((m.metrics as Record<string, unknown>)[k]))))
      throw bad(`${at}: "metrics" must be {"macs", "params", "activations"} (numbers)`);
    const arch = validateArchitecture(m.architecture, `${where}: ${at} architecture`);
    if (arch.space && arch.space.id === space.id && !isDeepStrictEqual(arch.space.encoding, m.encoding))
      throw bad(`${at}: "encoding" ${JSON.stringify(m.encoding)} is not its architecture's encoding ${JSON.stringify(arch.space.encoding)}`);
    names.add(m.name);
  });
  if (value.best !== null && !(typeof value.best === 'string' && names.has(value.best))) throw bad('"best" must be null or the name of a member');
  return value as unknown as FrontFile;
}

export function readFrontFile(file: string): FrontFile {
  return validateFront(readJsonFile(file, 'front'), file);
}

/** Parses and validates the text of a front file (`where` names it in errors). */
export function parseFront(text: string, where: string): FrontFile {
  return validateFront(parseJsonText(text, where, 'front'), where);
}
