/**
 * The ONNX files the in-file benches plan and time (bench/onnx-unit-gap.ts, bench/onnx-unit-split.ts,
 * bench/onnx-file-cost.ts, bench/onnx-segments.ts, bench/onnx-file-reorders.ts): published nets and random mbv2
 * nets written as bench/onnx-fidelity.ts writes them, and the third-party models of bench/npm-models.ts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../src/core/rng.js';
import { loadPublishedNets } from '../src/spaces/published.js';
import { createSpace } from '../src/spaces/registry.js';
import { networkModel } from '../export/model.js';
import { OCR_MODELS, packedModels } from './npm-models.js';

export interface BenchFile {
  name: string;
  file: string;
  inputShapes?: Record<string, number[]>;
}

/** A net's name as a file name. */
export const fileSafe = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '_');

export interface BenchFileOptions {
  resolution: number;
  /** Comma-separated published nets ('' for none). */
  published: string;
  /** Random mbv2 nets (seed 0: the first nets of bench/onnx-fidelity.ts). */
  count: number;
  /** Comma-separated: det, rec, cls (PaddleOCR), oww (every packed model in `npmDir`), or any other word: the packed models whose name contains it (e.g. `BlazeFace back`). */
  thirdParty?: string;
  npmDir?: string;
  /** Where the built-in nets' files are written (pub-NAME.onnx, rand-I.onnx). */
  out: string;
}

export function benchFiles(o: BenchFileOptions): BenchFile[] {
  const files: BenchFile[] = [];
  const wanted = o.published ? o.published.split(',') : [];
  for (const net of loadPublishedNets({ resolution: o.resolution }).nets)
    if (wanted.includes(net.name)) {
      const f = path.join(o.out, `pub-${fileSafe(net.name)}.onnx`);
      writeFileSync(f, networkModel(net).onnx);
      files.push({ name: net.name, file: f });
    }
  const space = createSpace('mbv2', { resolution: o.resolution });
  const rng = new Rng(0);
  for (let i = 0; i < o.count; i++) {
    const f = path.join(o.out, `rand-${i}.onnx`);
    writeFileSync(f, networkModel(space.build(space.sample(rng)), { seed: i }).onnx);
    files.push({ name: `mbv2 random #${i}`, file: f });
  }
  const tp = o.thirdParty ? o.thirdParty.split(',') : [];
  for (const k of ['det', 'rec', 'cls'] as const) if (tp.includes(k)) files.push({ ...OCR_MODELS[k], inputShapes: { ...OCR_MODELS[k].inputShapes } });
  const words = tp.filter((k) => !['det', 'rec', 'cls', 'oww'].includes(k)).map((k) => k.toLowerCase());
  if (tp.includes('oww') || words.length)
    files.push(
      ...packedModels(o.npmDir ?? '', (m) => tp.includes('oww') || words.some((w) => m.name.toLowerCase().includes(w))).map((m) => ({ name: m.name, file: m.file, inputShapes: m.inputShapes })),
    );
  return files;
}

/** One file by name: a PaddleOCR model (det, rec, cls), or a published net at `resolution` written to `fileOf(its safe name)`. */
export function fileOrNet(name: string, resolution: number, fileOf: (safeName: string) => string): { file: string; inputShapes?: Record<string, number[]> } {
  if (name in OCR_MODELS) {
    const m = OCR_MODELS[name as keyof typeof OCR_MODELS];
    return { file: m.file, inputShapes: { ...m.inputShapes } };
  }
  const net = loadPublishedNets({ resolution }).nets.find((n) => n.name === name);
  if (!net) throw new Error(`no file or published net '${name}'`);
  const file = fileOf(fileSafe(net.name));
  writeFileSync(file, networkModel(net).onnx);
  return { file };
}
