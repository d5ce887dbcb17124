/**
 * Issue 17 from the user's side, through the CLI (in process): every unreadable ONNX file is one clear error
 * with exit 2 and no stack trace, in `nas predict --onnx` and `nas profile --onnx` alike; a missing LUT points
 * at `nas profile --onnx`; `--profile-missing` refuses a LUT imported from a published phone table.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { shapeChainModel } from '../../bench/fuzz/onnx-models.js';
import { importProxylessLut } from '../../lut/import/proxyless.js';
import { writeLut } from '../../lut/store.js';
import { ROOT, expectUserError, nasInProcess as nas } from './helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-onnx-acceptance-'));
process.env.HW_NAS_CACHE = path.join(dir, 'cache');
const at = (name: string) => path.join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

const FAST = ['--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--max-time-ms', '50', '--target-ci', '0.5'];
const lut = at('units.lut.json');
const write = (name: string, bytes: Uint8Array | string) => {
  writeFileSync(at(name), bytes);
  return at(name);
};

beforeAll(async () => {
  const good = write('good.onnx', shapeChainModel());
  const r = await nas('profile', '--onnx', good, '--device', 'mock', '--device-opt', 'noise=0', '--in-file', 'off', '--out', lut, ...FAST);
  if (r.code !== 0) throw new Error(r.stderr);
});

describe('nas predict --onnx / nas profile --onnx on files it cannot read', () => {
  const cases: [string, () => Uint8Array | string, RegExp][] = [
    ['text.onnx', () => 'this is not a model\n', /not an ONNX model/],
    ['cut.onnx', () => shapeChainModel().subarray(0, 150), /not an ONNX model|truncated/],
    ['opset6.onnx', () => shapeChainModel({ opset: 6 }), /uses ONNX opset 6; this reader handles opsets 7–21/],
    ['opset22.onnx', () => shapeChainModel({ opset: 22 }), /uses ONNX opset 22; this reader handles opsets 7–21/],
    ['external.onnx', () => shapeChainModel({ external: 'gone.bin' }), /external data file 'gone.bin' of initializer 'w' is missing/],
    ['dynamic.onnx', () => shapeChainModel({ dims: ['batch', 3, 'H', 'W'] }), /has dynamic input dimensions: 'x' \[batch, 3, H, W\]/],
  ];
  it.each(cases)('%s: one message, exit 2, no stack trace', async (name, bytes, message) => {
    const f = write(name, bytes());
    expectUserError(await nas('predict', '--onnx', f, '--lut', lut), message);
    expectUserError(await nas('profile', '--onnx', f, '--device', 'mock', '--in-file', 'off', '--out', at(`${name}.lut.json`), ...FAST), message);
    expect(existsSync(at(`${name}.lut.json`))).toBe(false);
  });

  it('a dynamic input given with --input-shape is read and predicted', async () => {
    const f = write('dynamic-ok.onnx', shapeChainModel({ dims: ['batch', 3, 'H', 'W'] }));
    const r = await nas('predict', '--onnx', f, '--input-shape', 'x=1x3x16x16', '--lut', lut, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).predictions[0].ms).toBeGreaterThan(0);
  });
});

describe('nas predict --onnx without a LUT', () => {
  it('says how to measure the file into it, with its --input-shape', async () => {
    const f = write('dynamic-nolut.onnx', shapeChainModel({ dims: ['batch', 3, 'H', 'W'] }));
    const r = await nas('predict', '--onnx', f, '--input-shape', 'x=1x3x16x16', '--lut', at('none.lut.json'));
    expectUserError(r, /LUT file .*none\.lut\.json does not exist/);
    expect(r.stderr).toContain(`nas profile --onnx ${f} --input-shape x=1x3x16x16 --device cpu --threads 1 --out ${at('none.lut.json')}`);
  });
});

const PROXYLESS = path.join(ROOT, '..', 'shared', 'data', 'third-party-luts', 'proxyless_mobile_lut.json');
if (!existsSync(PROXYLESS)) console.warn(`--profile-missing on an imported LUT: test skipped, ${PROXYLESS} is missing (it ships in ../shared/data)`);

describe.skipIf(!existsSync(PROXYLESS))('--profile-missing on a LUT imported from a published table', () => {
  it('is refused up front, naming the table and its device, for architectures and ONNX files alike', async () => {
    const imported = at('pixel1.lut.json');
    writeLut(imported, importProxylessLut(PROXYLESS));
    const refused = /--profile-missing cannot measure into .*pixel1\.lut\.json: LUT \S+ was imported from a published proxyless table for pixel1/;
    // mbv2 at 96 px: nothing of it is in the 224-px table
    expectUserError(await nas('predict', '--lut', imported, '--space', 'mbv2', '--resolution', '96', '--random', '1', '--profile-missing'), refused);
    expectUserError(await nas('predict', '--onnx', at('good.onnx'), '--lut', imported, '--profile-missing'), refused);
    // What the table covers still predicts with the flag: nothing to measure.
    const covered = await nas('predict', '--lut', imported, '--space', 'proxyless', '--random', '1', '--profile-missing', '--json');
    expect(covered.code, covered.stderr).toBe(0);
  });
});
