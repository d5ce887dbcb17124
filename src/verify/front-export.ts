/**
 * Exporting chosen members of a front (`nas export --front F --select …`): one ONNX file per net and a
 * sidecar JSON beside it ("hw-nas-exported-net") with everything an application needs to pick and
 * trust it: the architecture, its accuracy, its predicted latency, the LUT the prediction came from.
 * Files are named by the member's position in the front (member-<#>.onnx, # as nas search prints it).
 */
import { archMetrics, type GraphMetrics } from '../core/arch-metrics.js';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import path from 'node:path';
import { networkModel } from '../../export/model.js';
import { archToJson, validateArchitecture } from '../core/arch-file.js';
import { UserError } from '../core/errors.js';
import type { FrontFile, FrontMember } from '../search/front-file.js';
import { accuracyLabel } from './labels.js';

export const EXPORTED_FORMAT = 'hw-nas-exported-net';
export const EXPORTED_VERSION = 1;

export type Selection = { kind: 'all' } | { kind: 'best' } | { kind: 'index'; index: number } | { kind: 'best-under'; ms: number };

const SELECT_HINT = 'use --select all, best, index=N (N as nas search numbers the front, from 1) or best-under=5ms';

export function parseSelection(text: string): Selection {
  const t = text.trim();
  if (t === 'all' || t === 'best') return { kind: t };
  let m = /^index=(\d+)$/.exec(t);
  if (m) {
    const index = Number(m[1]);
    if (index < 1) throw new UserError(`--select index=${m[1]}: members are numbered from 1 (fastest first)`, { hint: SELECT_HINT });
    return { kind: 'index', index };
  }
  m = /^best-under=(\d+(?:\.\d+)?|\.\d+)\s*(ms)?$/.exec(t);
  if (m && Number(m[1]) > 0) return { kind: 'best-under', ms: Number(m[1]) };
  throw new UserError(`--select '${text}' is not a selection`, { hint: SELECT_HINT });
}

/** The selected members with their 1-based positions; a selection that matches none is a UserError. */
export function selectMembers(front: FrontFile, sel: Selection): { index: number; member: FrontMember }[] {
  const all = front.members.map((member, i) => ({ index: i + 1, member }));
  if (!all.length) throw new UserError('the front has no members to export');
  switch (sel.kind) {
    case 'all':
      return all;
    case 'best': {
      const found = all.find((x) => x.member.name === front.best);
      if (!found) throw new UserError('the front names no best member (no member met its target)', { hint: 'use --select best-under=<ms> or index=N' });
      return [found];
    }
    case 'index':
      if (sel.index > all.length) throw new UserError(`--select index=${sel.index}: the front has ${all.length} member(s) (index=1..${all.length})`);
      return [all[sel.index - 1]];
    case 'best-under': {
      const under = all.filter((x) => x.member.latency.ms <= sel.ms);
      if (!under.length) {
        const fastest = Math.min(...all.map((x) => x.member.latency.ms));
        throw new UserError(`no member of the front is predicted within ${sel.ms} ms (the fastest takes ${fastest.toPrecision(4)} ms)`, { hint: 'raise the limit, or search again with --target-ms' });
      }
      // Most accurate; among equals the faster.
      return [under.reduce((b, x) => (x.member.accuracy > b.member.accuracy || (x.member.accuracy === b.member.accuracy && x.member.latency.ms < b.member.latency.ms) ? x : b))];
    }
  }
}

export interface ExportedNet {
  index: number;
  name: string;
  onnx: string;
  sidecar: string;
  bytes: number;
  accuracy: number;
  predictedMs: number;
  metrics: GraphMetrics;
}

function write(file: string, data: Uint8Array | string): void {
  writeFileAtomic(file, data, file, { hint: 'choose a writable --out folder' });
}

export function exportFrontMembers(front: FrontFile, frontPath: string, selected: readonly { index: number; member: FrontMember }[], outDir: string, weightSeed = 0): ExportedNet[] {
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create the output folder ${outDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'choose a writable --out folder' });
  }
  const lp = front.latency.provenance;
  return selected.map(({ index, member }) => {
    const arch = validateArchitecture(member.architecture, `${frontPath}: member ${index}`);
    const model = networkModel(arch, { seed: weightSeed });
    const base = path.join(outDir, `member-${index}`);
    const onnx = `${base}.onnx`;
    const sidecar = `${base}.json`;
    write(onnx, model.onnx);
    const target = front.target?.latencyMs;
    const doc = {
      format: EXPORTED_FORMAT,
      version: EXPORTED_VERSION,
      onnx: path.basename(onnx),
      index,
      name: member.name,
      inputs: model.inputs,
      output: 'output',
      accuracy: member.accuracy,
      accuracyMetric: accuracyLabel(front.evaluator),
      evaluator: front.evaluator,
      predictedLatency: { ms: member.latency.ms, ci95: member.latency.ci95, source: front.latency.id },
      metrics: archMetrics(arch),
      lutId: lp.kind === 'lut' && typeof lp.lutId === 'string' ? lp.lutId : null,
      latency: front.latency,
      target: front.target,
      withinTarget: target === undefined ? null : member.latency.ms <= target,
      best: member.name === front.best,
      space: front.space,
      front: { path: frontPath, strategy: front.strategy, seed: front.seed, created: front.created },
      weights: { kind: 'deterministic random', seed: weightSeed, note: 'for latency checks on the target runtime; train the architecture before using its outputs' },
      architecture: archToJson(arch),
    };
    write(sidecar, JSON.stringify(doc, null, 1) + '\n');
    return { index, name: member.name, onnx, sidecar, bytes: model.onnx.length, accuracy: member.accuracy, predictedMs: member.latency.ms, metrics: doc.metrics };
  });
}
