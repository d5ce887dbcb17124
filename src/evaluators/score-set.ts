/**
 * Scoring a set of architectures with one evaluator into a scores file ("hw-nas-scores", version 1):
 * one record per architecture (name, encoding, score, seconds taken), rewritten atomically after every
 * evaluation, so a killed run resumes where it stopped and nothing measured is lost.
 *
 *   {"format":"hw-nas-scores","version":1,"space":{"id":"nb201","options":{…}},
 *    "evaluator":{"id":"proxy:synflow","provenance":{…}},"selection":{"sample":100,"seed":0}|{"archs":"file"},
 *    "total":100,"complete":true,"records":[{"name","encoding","score","seconds"}],"created":"…"}
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { readJsonFile } from '../core/arch-file.js';
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { SearchSpace, SpaceOptions } from '../core/space.js';
import type { AccuracyEvaluator } from '../search/types.js';

export const SCORES_FORMAT = 'hw-nas-scores';
export const SCORES_VERSION = 1;

export interface ScoreRecord {
  name: string;
  encoding: number[];
  score: number;
  /** Wall time of the evaluation. */
  seconds: number;
}

export type Selection = { sample: number; seed: number } | { archs: string };

export interface ScoresFile {
  format: typeof SCORES_FORMAT;
  version: typeof SCORES_VERSION;
  space: { id: string; options: SpaceOptions };
  evaluator: { id: string; provenance: Record<string, unknown> };
  selection: Selection;
  total: number;
  complete: boolean;
  records: ScoreRecord[];
  created: string;
}

/** N distinct architectures of the space (by name), seeded; fewer only when the space has fewer. */
export function sampleEncodings(space: SearchSpace, n: number, seed: number): number[][] {
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--sample must be a positive integer, got ${n}`);
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: number[][] = [];
  for (let tries = 0; out.length < n && tries < n * 100; tries++) {
    const e = space.sample(rng);
    const name = space.build(e).name;
    if (!seen.has(name)) {
      seen.add(name);
      out.push(e);
    }
  }
  return out;
}

/**
 * The encodings listed in an architectures file: a JSON array of choice vectors (or, for spaces that
 * name architectures by a parseable string such as nb201's cell strings, of names), or a front or
 * scores file, whose members' / records' encodings are taken.
 */
export function readEncodings(file: string, parseName?: (name: string) => number[]): number[][] {
  const doc = readJsonFile(file, 'architectures') as unknown;
  const items: unknown[] | undefined = Array.isArray(doc)
    ? doc
    : typeof doc === 'object' && doc !== null
      ? ((doc as { members?: unknown[] }).members ?? (doc as { records?: unknown[] }).records)?.map((m) => (m as { encoding?: unknown })?.encoding)
      : undefined;
  const hint = 'give a JSON array of choice vectors, e.g. [[3,3,1,0,2,4],[1,1,1,1,1,1]] (nb201 also takes cell strings), or a front or scores file';
  if (!items || items.length === 0) throw new UserError(`architectures file ${file}: no architectures found`, { hint });
  return items.map((item, i) => {
    if (Array.isArray(item) && item.every((v) => Number.isInteger(v))) return item as number[];
    if (typeof item === 'string' && parseName) return parseName(item);
    throw new UserError(`architectures file ${file}: entry ${i} is ${JSON.stringify(item)}, not a choice vector`, { hint });
  });
}

function writeScores(file: string, doc: ScoresFile): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(doc, null, 1) + '\n');
  renameSync(tmp, file);
}

/** Records of an earlier run of the same job, by name; errors when the file belongs to another job. */
function earlierRecords(file: string, job: Pick<ScoresFile, 'space' | 'evaluator' | 'selection'>): Map<string, ScoreRecord> {
  const byName = new Map<string, ScoreRecord>();
  if (!existsSync(file)) return byName;
  const doc = readJsonFile(file, 'scores') as Partial<ScoresFile>;
  const hint = `delete ${file} to start over, or write to another --out`;
  if (doc?.format !== SCORES_FORMAT || doc.version !== SCORES_VERSION || !Array.isArray(doc.records))
    throw new UserError(`${file} exists and is not a "${SCORES_FORMAT}" version ${SCORES_VERSION} file`, { hint });
  const differs = (['space', 'evaluator', 'selection'] as const).filter((k) => {
    const saved = k === 'evaluator' ? { id: doc.evaluator?.id, provenance: withoutInput(doc.evaluator?.provenance) } : doc[k];
    const now = k === 'evaluator' ? { id: job.evaluator.id, provenance: withoutInput(job.evaluator.provenance) } : job[k];
    return !isDeepStrictEqual(JSON.parse(JSON.stringify(saved ?? null)), JSON.parse(JSON.stringify(now)));
  });
  if (differs.length > 0) throw new UserError(`${file} holds the scores of another run (its ${differs.join(', ')} differ${differs.length === 1 ? 's' : ''})`, { hint });
  for (const r of doc.records) byName.set(r.name, r);
  return byName;
}

/** An evaluator's provenance without what it learns while running (the proxy's input description). */
function withoutInput(p: Record<string, unknown> | undefined): Record<string, unknown> {
  const { input: _input, ...rest } = p ?? {};
  return rest;
}

export interface ScoreSetJob {
  space: SearchSpace;
  spaceOptions: SpaceOptions;
  evaluator: AccuracyEvaluator;
  encodings: readonly number[][];
  selection: Selection;
  out: string;
  onProgress?(done: number, total: number, last?: ScoreRecord): void;
}

export interface ScoreSetResult {
  file: ScoresFile;
  /** Records taken from an earlier run of the same job. */
  resumed: number;
}

export async function scoreSet(job: ScoreSetJob): Promise<ScoreSetResult> {
  const archs = job.encodings.map((e) => job.space.build(e));
  const head = {
    space: { id: job.space.id, options: job.spaceOptions },
    evaluator: { id: job.evaluator.id, provenance: job.evaluator.provenance },
    selection: job.selection,
  };
  const earlier = earlierRecords(job.out, head);
  const records: ScoreRecord[] = [];
  const doc = (): ScoresFile => ({
    format: SCORES_FORMAT,
    version: SCORES_VERSION,
    ...head,
    total: archs.length,
    complete: records.length === archs.length,
    records,
    created: new Date().toISOString(),
  });
  let resumed = 0;
  for (const arch of archs) {
    const hit = earlier.get(arch.name);
    if (hit) {
      records.push(hit);
      resumed++;
    }
  }
  job.onProgress?.(records.length, archs.length);
  const done = new Set(records.map((r) => r.name));
  for (const arch of archs) {
    if (done.has(arch.name)) continue;
    const t = performance.now();
    const score = await job.evaluator.evaluate(arch);
    const record = { name: arch.name, encoding: [...(arch.space?.encoding ?? [])], score, seconds: (performance.now() - t) / 1000 };
    records.push(record);
    done.add(arch.name);
    writeScores(job.out, doc());
    job.onProgress?.(records.length, archs.length, record);
  }
  // Records in the order of the selection, whatever order resuming left them in.
  const order = new Map(archs.map((a, i) => [a.name, i]));
  records.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const file = doc();
  writeScores(job.out, file);
  return { file, resumed };
}

/** The records as CSV (RFC 4180): name, encoding (space-separated), score, seconds. */
export function scoresCsv(file: ScoresFile): string {
  const cell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = file.records.map((r) => [cell(r.name), r.encoding.join(' '), String(r.score), r.seconds.toFixed(4)].join(','));
  return ['name,encoding,score,seconds', ...rows].join('\n') + '\n';
}
