/**
 * `nas lut import --format ofa`: the Once-for-All MobileNetV3 LUT of a Samsung Note10 (one table per input
 * resolution, 160…224) onto our keys.
 *
 *   Conv (stem)           → conv k3 s2 hswish          AvgPool2D → gpool avg
 *   expanded_conv         → mbconv: expand = MID / Cin (OFA writes the middle channel count, we a ratio),
 *                           se flag → SE ratio 0.25·e of the block input (= MID/4, as in src/spaces/published.ts),
 *                           hs flag → hswish else relu, idskip → skip
 *   Conv_1 (final expand) → conv k1 hswish             Conv_2 (feature mix on 1×1) → conv k1 hswish
 *   Logits                → linear, no activation
 */
import { UserError } from '../../src/core/errors.js';
import { opKey } from '../../src/core/keys.js';
import type { OpInstance } from '../../src/core/ops.js';
import type { Lut } from '../format.js';
import { assembleLut, checkRow, nchw, readPublishedJson, statsFromMean, type ImportedRow, type PublishedRow } from './published-table.js';

/** OFA's SE squeezes the middle channels by 4. */
const SE_REDUCTION = 0.25;

function mapRow(r: PublishedRow, file: string): OpInstance {
  const input = nchw(r.input);
  const out = Array.isArray(r.output) ? r.output : undefined;
  const conv = (k: number, stride: number) =>
    ({ spec: { kind: 'conv', cout: out![2], k, stride, groups: 1, dilation: 1, act: 'hswish' }, input, dtype: 'f32' }) as OpInstance;
  switch (r.type) {
    case 'Conv':
      return conv(3, Math.round(r.input[0] / out![0]));
    case 'Conv_1':
    case 'Conv_2':
      return conv(1, 1);
    case 'AvgPool2D':
      return { spec: { kind: 'gpool', mode: 'avg' }, input, dtype: 'f32' };
    case 'Logits':
      return { spec: { kind: 'linear', cout: r.output as number, act: 'none' }, input, dtype: 'f32' };
    case 'expanded_conv': {
      const cin = r.input[2];
      const e = r.expand! / cin;
      if (!Number.isInteger(e * 1000)) throw new UserError(`${file}: '${r.key}': middle channels ${r.expand} over ${cin} inputs is not a ratio our keys can hold`);
      return {
        spec: { kind: 'mbconv', cout: out![2], k: r.kernel!, stride: r.stride!, expand: e, se: r.se ? SE_REDUCTION * e : 0, act: r.hs ? 'hswish' : 'relu', skip: r.idskip === 1 },
        input,
        dtype: 'f32',
      };
    }
    default:
      throw new UserError(`${file}: row type '${r.type}' is not an OFA MobileNetV3 LUT row (known: Conv, expanded_conv, Conv_1, AvgPool2D, Conv_2, Logits)`);
  }
}

/**
 * Every resolution's table, or only `resolution`'s. The tables overlap (the 1×1 feature-mix and classifier
 * rows are in all five, the last stage's rows in two): an op in several tables gets the count-weighted
 * mean of its rows, so a net's sum differs from the one-table sum OFA computes by those rows' spread
 * (29.951 vs 29.965 ms for the 30 ms Note10 net); `resolution` reproduces OFA's figures exactly.
 */
export function importOfaLut(file: string, opts: { resolution?: number } = {}): Lut {
  const data = readPublishedJson(file, 'Once-for-All LUT');
  const tables = data.tables as Record<string, unknown[]> | undefined;
  if (!tables || typeof tables !== 'object' || Array.isArray(tables))
    throw new UserError(`'${file}' is not a Once-for-All LUT: no "tables" object (resolution → rows)`, { hint: 'expected ofa_note10_lut.json from ../shared/data/third-party-luts/' });
  let chosen = Object.keys(tables);
  if (opts.resolution !== undefined) {
    if (!chosen.includes(String(opts.resolution)))
      throw new UserError(`${file} has no table for resolution ${opts.resolution}`, { hint: `its tables: ${chosen.join(', ')}` });
    chosen = [String(opts.resolution)];
  }
  const byKey = new Map<string, { inst: OpInstance; rows: PublishedRow[] }>();
  for (const res of chosen) {
    const table = tables[res];
    if (!Array.isArray(table)) throw new UserError(`${file}: table '${res}' is not an array`);
    for (const raw of table) {
      const r = checkRow(raw, file);
      const inst = mapRow(r, file);
      const key = opKey(inst);
      const seen = byKey.get(key) ?? { inst, rows: [] };
      seen.rows.push(r);
      byKey.set(key, seen);
    }
  }
  const rows: ImportedRow[] = [];
  let pooled = 0;
  for (const { inst, rows: same } of byKey.values()) {
    if (same.length === 1) {
      rows.push({ inst, stats: statsFromMean(same[0].mean_ms, same[0].std_ms ?? 0, same[0].count) });
      continue;
    }
    // Pooled mean and standard deviation of the tables' rows (count-weighted, within + between spread).
    pooled++;
    const n = same.reduce((t, r) => t + r.count, 0);
    const mean = same.reduce((t, r) => t + r.count * r.mean_ms, 0) / n;
    const ss = same.reduce((t, r) => t + r.count * ((r.std_ms ?? 0) ** 2 + (r.mean_ms - mean) ** 2), 0);
    rows.push({ inst, stats: statsFromMean(mean, Math.sqrt(ss / n), n) });
  }
  return assembleLut({
    phone: { device: 'note10', description: 'Samsung Galaxy Note10 (the Once-for-All LUT; TFLite, mobile CPU)', runtime: 'tflite' },
    rows,
    format: 'ofa',
    file,
    source: String(data.source ?? ''),
    notes: [
      'std is the published std_ms',
      `tables imported: ${chosen.join(', ')}` + (pooled ? `; ${pooled} ops appear in several tables and hold the count-weighted mean of their rows` : ''),
      'OFA sizes SE from the middle channels (MID/4 rounded to a multiple of 8); our key holds the ratio 0.25·e of the block input, the same MID/4 before rounding',
    ],
    spaces: chosen.map((r) => `ofa-mbv3@${r}`),
  });
}
