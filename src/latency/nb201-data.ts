/**
 * The NAS-Bench-201 reference table (shared/data/nb201/nb201.json): accuracies and measured latencies
 * of all 15,625 cells, indexed by cell string. Read once per path and shared by the table latency
 * source and the table evaluator, since both sit in the inner loop of a search.
 */
import path from 'node:path';
import { readJsonFile } from '../core/arch-file.js';
import { UserError } from '../core/errors.js';
import { projectRoot } from '../core/paths.js';

export const NB201_DATASETS = ['cifar10', 'cifar100', 'ImageNet16-120'] as const;
export type Nb201Dataset = (typeof NB201_DATASETS)[number];

export const NB201_DEVICES = ['raspi4', 'pixel3', 'eyeriss', 'fpga', 'pi5_litert', 'pi5_onnx', 'pi5_torchmobile', 'pixel_litert'] as const;
export type Nb201Device = (typeof NB201_DEVICES)[number];

/** Where each device's figures come from (see shared/data/README.md). */
export const NB201_DEVICE_SOURCES: Record<Nb201Device, string> = {
  raspi4: 'HW-NAS-Bench v1.0, Raspberry Pi 4, measured, CIFAR-10 input',
  pixel3: 'HW-NAS-Bench v1.0, Pixel 3, measured, CIFAR-10 input',
  eyeriss: 'HW-NAS-Bench v1.0, Eyeriss, hardware model estimate, CIFAR-10 input',
  fpga: 'HW-NAS-Bench v1.0, FPGA, hardware model estimate, CIFAR-10 input',
  pi5_litert: 'HW-NAS-Bench-360, Raspberry Pi 5 LiteRT, measured, CIFAR-100 input',
  pi5_onnx: 'HW-NAS-Bench-360, Raspberry Pi 5 ONNX Runtime, measured, CIFAR-100 input',
  pi5_torchmobile: 'HW-NAS-Bench-360, Raspberry Pi 5 PyTorch Mobile, measured, CIFAR-100 input',
  pixel_litert: 'HW-NAS-Bench-360, Pixel LiteRT, measured, CIFAR-100 input',
};

export interface Nb201Record {
  idx: number;
  arch: string;
  connected: boolean;
  acc: Record<Nb201Dataset, number>;
  lat: Record<Nb201Device, number>;
}

export interface Nb201Table {
  path: string;
  records: Nb201Record[];
  byArch: Map<string, Nb201Record>;
}

export function defaultNb201Path(): string {
  return path.resolve(projectRoot(), '../shared/data/nb201/nb201.json');
}

const cache = new Map<string, Nb201Table>();

/** Loads (once per resolved path) and checks the table. */
export function loadNb201Table(file?: string): Nb201Table {
  const resolved = path.resolve(file ?? defaultNb201Path());
  const hit = cache.get(resolved);
  if (hit) return hit;
  let value: unknown;
  try {
    value = readJsonFile(resolved, 'NAS-Bench-201 table');
  } catch (e) {
    if (e instanceof UserError)
      throw new UserError(e.message, { hint: 'pass the path of nb201.json (shared/data/nb201/nb201.json) with --nb201-file', cause: e });
    throw e;
  }
  const bad = (why: string) => new UserError(`NAS-Bench-201 table ${resolved}: ${why}`, { hint: 'expected the array of records described in shared/data/README.md' });
  if (!Array.isArray(value) || value.length === 0) throw bad('expected a non-empty JSON array of records');
  const byArch = new Map<string, Nb201Record>();
  value.forEach((r, i) => {
    const rec = r as Partial<Nb201Record>;
    if (typeof rec?.arch !== 'string' || typeof rec.acc !== 'object' || typeof rec.lat !== 'object' || rec.acc === null || rec.lat === null)
      throw bad(`record ${i} needs "arch" (string), "acc" and "lat" (objects)`);
    byArch.set(rec.arch, rec as Nb201Record);
  });
  const table = { path: resolved, records: value as Nb201Record[], byArch };
  cache.set(resolved, table);
  return table;
}

/** The record of an architecture's cell; the architecture must come from the nb201 space. */
export function nb201Record(table: Nb201Table, cell: string): Nb201Record {
  const rec = table.byArch.get(cell);
  if (!rec) throw new UserError(`cell '${cell}' is not in the NAS-Bench-201 table ${table.path}`);
  return rec;
}

/** Numeric field of a record, with an error naming the record when the table lacks it. */
export function recordValue(table: Nb201Table, rec: Nb201Record, group: 'acc' | 'lat', field: string): number {
  const v = (rec[group] as Record<string, unknown>)[field];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new UserError(`NAS-Bench-201 table ${table.path}: record ${rec.idx} (${rec.arch}) has no numeric ${group}.${field}`);
  return v;
}

/** The cell string an nb201 architecture repeats; an error for any other architecture. */
export function nb201CellOf(arch: { name: string; layers: readonly { spec: { kind: string; cell?: string } }[] }): string {
  let cell: string | undefined;
  for (const layer of arch.layers) {
    if (layer.spec.kind !== 'nb201cell') continue;
    if (cell === undefined) cell = layer.spec.cell;
    else if (layer.spec.cell !== cell)
      throw new UserError(`architecture '${arch.name}' mixes different NAS-Bench-201 cells; the benchmark table only covers nets that repeat one cell`);
  }
  if (cell === undefined)
    throw new UserError(`architecture '${arch.name}' has no NAS-Bench-201 cell: the NAS-Bench-201 table only covers the nb201 space`, {
      hint: 'use --space nb201, or a LUT (--lut) for other spaces',
    });
  return cell;
}
