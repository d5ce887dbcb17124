import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { cellToEncoding, createNb201Space } from '../../src/spaces/nb201.js';
import { defaultNb201Path, loadNb201Table } from '../../src/latency/nb201-data.js';
import { tableLatencySource } from '../../src/latency/table.js';

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

describe('table latency source', () => {
  it('returns the measured latencies of idx 6111 on every device', () => {
    const arch = createNb201Space().build(cellToEncoding(BEST));
    expect(loadNb201Table().byArch.get(BEST)?.idx).toBe(6111);
    const expected = { raspi4: 68.4041, pixel3: 23.5848, eyeriss: 7.8235, fpga: 6.6786, pi5_litert: 9.5549, pi5_onnx: 14.0156, pi5_torchmobile: 12.6603, pixel_litert: 10.4134 };
    for (const [device, ms] of Object.entries(expected)) expect(tableLatencySource({ device }).latency(arch)).toEqual({ ms });
    const src = tableLatencySource({ device: 'pixel3' });
    expect(src.id).toBe('table:nb201:pixel3');
    expect(src.provenance).toMatchObject({ kind: 'table', device: 'pixel3', path: defaultNb201Path() });
  });

  it('loads the file once per path', () => {
    expect(loadNb201Table()).toBe(loadNb201Table(defaultNb201Path()));
  });

  it('gives clear errors for unknown devices, missing files and foreign architectures', () => {
    expect(() => tableLatencySource({ device: 'pixel9' })).toThrow(/unknown latency table 'pixel9'/);
    expect(() => tableLatencySource({ device: 'pixel3', file: '/nonexistent/nb201.json' })).toThrow(/NAS-Bench-201 table file not found: \/nonexistent\/nb201.json/);
    const src = tableLatencySource({ device: 'pixel3' });
    expect(() => src.latency(createMbv2Space({ resolution: 96 }).build(Array(21).fill(0)))).toThrow(/32x32 input/);
    expect(() => src.latency(createNb201Space({ resolution: 16 }).build([1, 1, 1, 1, 1, 1]))).toThrow(/measured at 32x32 input/);
  });

  it('rejects a malformed table', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nb201-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify([{ idx: 0, arch: 5 }]));
    expect(() => tableLatencySource({ device: 'pixel3', file })).toThrow(/record 0 needs "arch"/);
  });
});
