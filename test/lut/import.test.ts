import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { predict } from '../../src/predict/predictor.js';
import { createSpace } from '../../src/spaces/registry.js';
import { loadOfaNets, ofaArchitecture } from '../../src/spaces/ofa-nets.js';
import { publishedArchitecture } from '../../src/spaces/catalog.js';
import { importOfaLut } from '../../lut/import/ofa.js';
import { importProxylessLut } from '../../lut/import/proxyless.js';
import { readLut, writeLut } from '../../lut/store.js';
import { ROOT, nasInProcess } from '../cli/helpers.js';

const DIR = path.join(ROOT, '..', 'shared', 'data', 'third-party-luts');
const PROXYLESS = path.join(DIR, 'proxyless_mobile_lut.json');
const OFA = path.join(DIR, 'ofa_note10_lut.json');
const have = existsSync(PROXYLESS) && existsSync(OFA);
if (!have) console.warn(`LUT import tests skipped: ${DIR} is missing (it ships in ../shared/data)`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lut-import-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The ProxylessNAS key of one of our layers, written from the published key format, not from the importer. */
function proxylessKey(kind: string, input: readonly number[], output: readonly number[], spec: Record<string, unknown>): string {
  const hwc = (s: readonly number[]) => `${s[2]}x${s[3]}x${s[1]}`;
  if (kind === 'mbconv')
    return `expanded_conv-input:${hwc(input)}-output:${hwc(output)}-expand:${spec.expand}-kernel:${spec.k}-stride:${spec.stride}-idskip:${spec.skip ? 1 : 0}`;
  if (kind === 'conv') return `${input[1] === 3 ? 'Conv' : 'Conv_1'}-input:${hwc(input)}-output:${hwc(output)}`;
  if (kind === 'linear') return `Logits-input:7x7x${input[1]}-output:${output[1]}`;
  return '';
}

describe.skipIf(!have)('importing the ProxylessNAS mobile LUT', () => {
  const lut = importProxylessLut(PROXYLESS);
  const raw = JSON.parse(readFileSync(PROXYLESS, 'utf8')) as { entries: { key: string; mean_ms: number }[] };
  const published = new Map(raw.entries.map((e) => [e.key, e.mean_ms]));

  it('maps every row onto a canonical key, on the phone, in ms, with its provenance', () => {
    expect(Object.keys(lut.entries)).toHaveLength(raw.entries.length + 1); // Logits splits into gpool (0) + linear
    expect(lut.device.device).toBe('pixel1');
    expect(lut.overhead.median).toBe(0);
    expect(lut.entries['conv:1x3x224x224:c32:k3:s2:g1:d1:relu6:f32'].net).toBeCloseTo(4.083755600814664, 12);
    expect(lut.entries['mbconv:1x24x56x56:c24:k7:s1:e6:se0:relu6:skip1:f32'].stats.median).toBeCloseTo(18.541, 3);
    expect(lut.entries['gpool:1x1280x7x7:avg:f32'].net).toBe(0);
    expect(lut.imported?.notes.join('\n')).toMatch(/Logits.*gpool:1x1280x7x7:avg:f32 is 0/);
    // Written and read back through the validated store.
    const file = path.join(tmp, 'proxyless.lut.json');
    writeLut(file, lut);
    expect(readLut(file).entries).toEqual(lut.entries);
  });

  it('covers the proxyless space at 224: every instance it can place is in the LUT', () => {
    const space = createSpace('proxyless');
    for (const inst of space.allInstances()) expect(lut.entries[opKey(inst)], opKey(inst)).toBeDefined();
    // k3/5/7 × e3/6 on 21 layers + zero where the shape is kept.
    const decisions = space.decisions();
    expect(decisions).toHaveLength(21);
    expect(decisions.filter((d) => d.options.includes('skip'))).toHaveLength(15);
  });

  it("predicts a member as the hand-computed sum of the published rows", () => {
    const space = createSpace('proxyless');
    const rng = new Rng(7);
    for (let i = 0; i < 5; i++) {
      const arch = space.build(space.sample(rng));
      let hand = 0;
      for (const p of placeLayers(arch)) {
        if (p.inst.spec.kind === 'gpool') continue;
        const key = proxylessKey(p.inst.spec.kind, p.inst.input, p.output, p.inst.spec as unknown as Record<string, unknown>);
        expect(published.has(key), key).toBe(true);
        hand += published.get(key)!;
      }
      expect(predict(lut, arch).ms).toBeCloseTo(hand, 9);
    }
  });
});

describe.skipIf(!have)('importing the Once-for-All Note10 LUT', () => {
  it('reproduces the published LUT sums of the specialized nets from the 224 table (the 30 ms net: 29.97 ms)', () => {
    const lut = importOfaLut(OFA, { resolution: 224 });
    expect(Object.keys(lut.entries)).toHaveLength(96);
    const net = publishedArchitecture('note10_lat-30ms_top1-78.4_finetune-75');
    expect(predict(lut, net).ms.toFixed(2)).toBe('29.97');
    let checked = 0;
    for (const n of loadOfaNets()) {
      if (typeof n.note10_lut_pred_ms !== 'number') continue;
      expect(predict(lut, ofaArchitecture(n)).ms, n.name).toBeCloseTo(n.note10_lut_pred_ms, 3);
      checked++;
    }
    expect(checked).toBe(4);
  });

  it('imports every table; an op in several tables holds the count-weighted mean of its rows', () => {
    const lut = importOfaLut(OFA);
    expect(lut.spaces).toEqual(['ofa-mbv3@160', 'ofa-mbv3@176', 'ofa-mbv3@192', 'ofa-mbv3@208', 'ofa-mbv3@224']);
    const mix = lut.entries['conv:1x1152x1x1:c1536:k1:s1:g1:d1:hswish:f32'];
    // Conv_2 rows: 160..224 means 0.7474..0.7625 over 498..500 runs.
    expect(mix.stats.n).toBe(498 + 500 * 4);
    expect(mix.net).toBeGreaterThan(0.7474);
    expect(mix.net).toBeLessThan(0.7625);
    expect(lut.entries['mbconv:1x24x112x112:c24:k3:s1:e1:se0:relu:skip1:f32']).toBeDefined();
    expect(lut.entries['mbconv:1x136x14x14:c136:k3:s1:e3:se0.75:hswish:skip1:f32']).toBeDefined();
    expect(() => importOfaLut(OFA, { resolution: 300 })).toThrow(/no table for resolution 300.*/);
  });

  it('says clearly when a file is not the table it was told', () => {
    expect(() => importProxylessLut(OFA)).toThrow(/not a ProxylessNAS LUT/);
    expect(() => importOfaLut(PROXYLESS)).toThrow(/not a Once-for-All LUT/);
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{"entries": [{"key": 1}]}');
    expect(() => importProxylessLut(bad)).toThrow(/malformed table row/);
    expect(() => importOfaLut(path.join(tmp, 'nope.json'))).toThrow(/no such file/);
  });
});

describe.skipIf(!have)('nas lut import, then search the proxyless space for the phone', () => {
  it('imports with the CLI and searches on the imported LUT', async () => {
    const lutFile = path.join(tmp, 'px.lut.json');
    const r = await nasInProcess('lut', 'import', '--format', 'proxyless', PROXYLESS, '--out', lutFile, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ device: 'pixel1', entries: 73 });
    const front = path.join(tmp, 'front.json');
    const s = await nasInProcess('search', '--space', 'proxyless', '--lut', lutFile, '--strategy', 'random', '--evaluator', 'proxy', '--budget', '3', '--target-ms', '120', '--out', front);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/proxyless@224:/);
    const bad = await nasInProcess('lut', 'import', PROXYLESS, '--out', lutFile);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format proxyless\|ofa/);
  });
});
