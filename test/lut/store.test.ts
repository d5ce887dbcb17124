import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { createLut, lutId, LutStore, readLut, serializeLut, writeLut } from '../../lut/store.js';
import { validateLut } from '../../lut/validate.js';
import { device, entry, KEYS, protocol, stats } from './fixtures.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'lut-store-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sample = () => {
  const lut = createLut(device, protocol, stats(0.05));
  lut.entries[KEYS.conv] = entry(0.4);
  lut.entries[KEYS.mb] = entry(1.2);
  lut.spaces.push('mbv2@96');
  return lut;
};

/** The UserError message readLut gives for a file holding `text`. */
function readError(text: string): string {
  const file = path.join(dir, 'bad.lut.json');
  writeFileSync(file, text);
  try {
    readLut(file);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('readLut accepted a bad file');
}

describe('LUT files', () => {
  it('round-trips through the schema', () => {
    const file = path.join(dir, 'sub', 'a.lut.json');
    const lut = sample();
    writeLut(file, lut);
    expect(readLut(file)).toEqual(lut);
    // one line per entry, sorted by key
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.filter((l) => l.startsWith('    "conv:') || l.startsWith('    "mbconv:'))).toHaveLength(2);
  });

  it('writes atomically and leaves no temporary file', () => {
    const file = path.join(dir, 'a.lut.json');
    writeLut(file, sample());
    writeLut(file, sample());
    expect(readdirSync(dir)).toEqual(['a.lut.json']);
  });

  it('gives a stable id that depends on device settings and protocol only', () => {
    const id = lutId(device, protocol);
    expect(id).toMatch(/^mock-[0-9a-f]{8}$/);
    expect(lutId({ ...device, options: { noise: 0.02, threads: 2 }, host: { ...device.host, node: 'v22' } }, { ...protocol })).toBe(id);
    expect(lutId({ ...device, options: { ...device.options, threads: 1 } }, protocol)).not.toBe(id);
    expect(lutId(device, { ...protocol, warmup: 3 })).not.toBe(id);
  });

  it('says when the file is missing or a directory', () => {
    expect(() => readLut(path.join(dir, 'nope.json'))).toThrow(/LUT file .*nope\.json does not exist/);
    mkdirSync(path.join(dir, 'folder'));
    expect(() => readLut(path.join(dir, 'folder'))).toThrow(/is a directory/);
  });

  it('says what is wrong with a bad file', () => {
    expect(readError('{"format": ')).toMatch(/is not valid JSON/);
    expect(readError('[1,2]')).toMatch(/expected a JSON object/);
    expect(readError('{"format": "onnx"}')).toMatch(/its "format" is "onnx", expected "hw-nas-lut"/);
    expect(readError('{"format": "hw-nas-lut", "version": 2}')).toMatch(/version 2; this tool reads version 1 only/);
    const noMedian = sample() as unknown as { entries: Record<string, { stats: Record<string, unknown> }> };
    delete noMedian.entries[KEYS.conv].stats.median;
    expect(readError(JSON.stringify(noMedian))).toContain(`/entries/${KEYS.conv}/stats must have required property 'median'`);
    const badType = sample() as unknown as { protocol: Record<string, unknown> };
    badType.protocol.warmup = 'ten';
    expect(readError(JSON.stringify(badType))).toContain('/protocol/warmup must be integer');
    expect(readError(JSON.stringify({ ...sample(), extra: 1 }))).toContain("must NOT have additional properties ('extra')");
  });

  it('rejects entry keys that are not canonical op keys', () => {
    const lut = sample();
    lut.entries['conv:1x8x16x16:c16'] = entry(1);
    expect(() => validateLut(JSON.parse(serializeLut(lut)), 'x')).toThrow(/malformed op key/);
    const lut2 = sample();
    lut2.entries['mbconv:1x16x16x16:c16:k3:s1:e6.0:se0:relu6:skip1:f32'] = entry(1);
    expect(() => validateLut(lut2, 'x')).toThrow(/not canonical \(expected 'mbconv:1x16x16x16:c16:k3:s1:e6:se0:relu6:skip1:f32'\)/);
  });
});

describe('LutStore', () => {
  it('creates the file with the overhead and persists every put', () => {
    const file = path.join(dir, 'a.lut.json');
    const store = LutStore.open(file, device, protocol);
    expect(store.overhead).toBeUndefined();
    expect(() => store.put(KEYS.conv, entry(1))).toThrow(/set the overhead first/);
    store.setOverhead(stats(0.05));
    store.put(KEYS.conv, entry(0.4));
    expect(readLut(file).entries[KEYS.conv].stats.median).toBeCloseTo(0.4, 9);
    store.markUnsupported(KEYS.pool, 'no pool here');
    store.addSpace('mbv2@96');
    const again = LutStore.open(file, device, protocol);
    expect(again.has(KEYS.conv)).toBe(true);
    expect(again.has(KEYS.mb)).toBe(false);
    expect(again.size).toBe(1);
    expect(readLut(file)).toMatchObject({ unsupported: { [KEYS.pool]: 'no pool here' }, spaces: ['mbv2@96'] });
  });

  it('refuses to resume a LUT measured under other settings, unless forced', () => {
    const file = path.join(dir, 'a.lut.json');
    const store = LutStore.open(file, device, protocol);
    store.setOverhead(stats(0.05));
    store.put(KEYS.conv, entry(0.4));
    const other = { ...device, runtimeVersion: '2', options: { ...device.options, threads: 1 } };
    const err = (() => {
      try {
        LutStore.open(file, other, { ...protocol, minRepeats: 20 });
      } catch (e) {
        return e as UserError;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect(err!.message).toContain('runtimeVersion: LUT "1", now "2"');
    expect(err!.message).toContain('options.threads: LUT 2, now 1');
    expect(err!.message).toContain('minRepeats: LUT 10, now 20');
    expect(err!.hint).toMatch(/--out.*--force/);
    const forced = LutStore.open(file, other, protocol, { force: true });
    expect(forced.size).toBe(0);
    forced.setOverhead(stats(0.06));
    expect(readLut(file).device.runtimeVersion).toBe('2');
  });

  it('removes temporary files left by killed writers', () => {
    const file = path.join(dir, 'a.lut.json');
    writeFileSync(`${file}.tmp-999999999`, '{"partial');
    LutStore.open(file, device, protocol);
    expect(readdirSync(dir)).toEqual([]);
  });
});
