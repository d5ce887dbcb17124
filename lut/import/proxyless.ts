/**
 * `nas lut import --format proxyless`: the ProxylessNAS mobile LUT (mobile_trim.yaml, as JSON) onto our keys.
 *
 *   Conv-input:224x224x3-output:112x112x32           → conv k3 s2 relu6 (the stem)
 *   expanded_conv-…-expand:E-kernel:K-stride:S-idskip:I → mbconv cout k s e (a ratio) se0 relu6 skipI
 *   Conv_1-input:7x7x320-output:7x7x1280             → conv k1 relu6 (the final expand)
 *   Logits-input:7x7x1280-output:1000                → linear 1280→1000, and the global pool before it as 0 ms
 *
 * ProxylessNAS's "Logits" row times pooling and classifier together; our architectures have a gpool and
 * a linear layer, so the row's figure goes on the linear entry and the gpool entry is 0 (a note says so).
 */
import { UserError } from '../../src/core/errors.js';
import { opKey } from '../../src/core/keys.js';
import type { OpInstance } from '../../src/core/ops.js';
import type { Lut } from '../format.js';
import { assembleLut, checkRow, nchw, readPublishedJson, statsFromMean, type ImportedRow, type PublishedRow } from './published-table.js';

const ACT = 'relu6' as const;

function strideOf(r: PublishedRow): number {
  const out = r.output as number[];
  const s = r.stride ?? Math.round(r.input[0] / out[0]);
  return s;
}

function mapRow(r: PublishedRow, file: string): OpInstance[] {
  const input = nchw(r.input);
  const out = Array.isArray(r.output) ? r.output : undefined;
  switch (r.type) {
    case 'Conv':
      return [{ spec: { kind: 'conv', cout: out![2], k: 3, stride: strideOf(r), groups: 1, dilation: 1, act: ACT }, input, dtype: 'f32' }];
    case 'Conv_1':
      return [{ spec: { kind: 'conv', cout: out![2], k: 1, stride: 1, groups: 1, dilation: 1, act: ACT }, input, dtype: 'f32' }];
    case 'Logits':
      return [
        { spec: { kind: 'gpool', mode: 'avg' }, input, dtype: 'f32' },
        { spec: { kind: 'linear', cout: r.output as number, act: 'none' }, input: [1, r.input[2], 1, 1], dtype: 'f32' },
      ];
    case 'expanded_conv':
      return [
        {
          spec: { kind: 'mbconv', cout: out![2], k: r.kernel!, stride: r.stride!, expand: r.expand!, se: 0, act: ACT, skip: r.idskip === 1 },
          input,
          dtype: 'f32',
        },
      ];
    default:
      throw new UserError(`${file}: row type '${r.type}' is not a ProxylessNAS LUT row (known: Conv, Conv_1, Logits, expanded_conv)`);
  }
}

export function importProxylessLut(file: string): Lut {
  const data = readPublishedJson(file, 'ProxylessNAS LUT');
  if (!Array.isArray(data.entries))
    throw new UserError(`'${file}' is not a ProxylessNAS LUT: no "entries" array`, { hint: 'expected proxyless_mobile_lut.json from ../shared/data/third-party-luts/' });
  const rows: ImportedRow[] = [];
  const notes: string[] = [];
  for (const raw of data.entries) {
    const r = checkRow(raw, file);
    const std = Math.sqrt(r.var ?? 0);
    const insts = mapRow(r, file);
    if (insts.length === 2) {
      rows.push({ inst: insts[0], stats: statsFromMean(0, 0, r.count) });
      rows.push({ inst: insts[1], stats: statsFromMean(r.mean_ms, std, r.count) });
      notes.push(`'${r.key}' times global pooling and classifier together: its figure is on ${opKey(insts[1])}, and ${opKey(insts[0])} is 0`);
    } else rows.push({ inst: insts[0], stats: statsFromMean(r.mean_ms, std, r.count) });
  }
  const res = rows.find((r) => r.inst.spec.kind === 'conv' && r.inst.input[1] === 3)?.inst.input[2];
  return assembleLut({
    phone: { device: 'pixel1', description: 'Google Pixel 1 (the ProxylessNAS mobile LUT; TFLite, per the paper)', runtime: 'tflite' },
    rows,
    format: 'proxyless',
    file,
    source: String(data.source ?? ''),
    notes: [...notes, 'std is the square root of the published variance'],
    spaces: res ? [`proxyless@${res}`] : [],
  });
}
