/**
 * Every bad input of issue 16 through the CLI (in-process, so the whole file stays fast): one clear
 * message, exit 2, no stack trace, nothing hangs, nothing silently accepted; and the hints that
 * suggest a command give one that works as printed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nasInProcess as nas, type CliResult } from './helpers.js';
import { affinitySupport } from '../../devices/affinity.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nas-bad-input-'));
const at = (name: string) => path.join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

const FAST = ['--warmup', '1', '--min-repeats', '3', '--max-repeats', '5', '--max-time-ms', '50', '--target-ci', '0.5'];
const lut = at('mock-nb201.lut.json');

function expectError(r: CliResult, message: RegExp, code = 2): void {
  if (r.code !== code || !message.test(r.stderr) || /internal error|\n\s+at /.test(r.stderr))
    throw new Error(`expected exit ${code} and /${message.source}/ without a stack, got exit ${r.code}:\n${r.stderr}`);
}

const archFile = (name: string, layers: unknown[], input = [1, 3, 32, 32]) => {
  const file = at(name);
  writeFileSync(file, JSON.stringify({ format: 'hw-nas-arch', version: 1, name, input, dtype: 'f32', layers }));
  return file;
};
const conv = (k: number, stride: number, cout = 8) => ({ role: 'stem', spec: { kind: 'conv', cout, k, stride, groups: 1, dilation: 1, act: 'relu' } });
const head = [
  { role: 'head', spec: { kind: 'gpool', mode: 'avg' } },
  { role: 'head', spec: { kind: 'linear', cout: 10, act: 'none' } },
];

beforeAll(async () => {
  const r = await nas('profile', '--device', 'mock', '--device-opt', 'noise=0', '--space', 'nb201', '--calibrate', '0', '--out', lut, ...FAST);
  if (r.code !== 0) throw new Error(r.stderr);
}, 60_000);

describe('names are looked up in the registry (no inherited properties)', () => {
  it.each([
    [['--space', 'toString'], /unknown search space 'toString'; known: mbv2, mbv2-small, mnasnet, nb201/],
    [['--space', '__proto__'], /unknown search space '__proto__'; known: mbv2, mbv2-small, mnasnet, nb201/],
    [['--space', 'nb201', '--strategy', 'toString'], /unknown search strategy 'toString'; known: random, evolution/],
    [['--space', 'nb201', '--strategy', 'constructor'], /unknown search strategy 'constructor'; known: random, evolution/],
    [['--space', 'nb201', '--evaluator', 'constructor'], /unknown evaluator 'constructor'; known: table, command/],
    [['--space', 'nb201', '--evaluator', '__proto__'], /unknown evaluator '__proto__'; known: table, command/],
    [['--space', 'nb201', '--strategy', 'nsga'], /unknown search strategy 'nsga'[^]*did you mean 'nsga2'\?/],
  ])('search %j', async (args, message) => {
    expectError(await nas('search', '--lut', lut, '--budget', '5', '--out', at('f.json'), ...args), message);
  });

  it('an architecture short form naming space toString', async () => {
    const file = at('short.json');
    writeFileSync(file, JSON.stringify({ space: 'toString', encoding: [] }));
    expectError(await nas('predict', '--lut', lut, '--arch', file), /unknown search space 'toString'; known: mbv2/);
  });

  it('--train-dataset constructor', async () => {
    expectError(
      await nas('train', '--published', 'MobileNetV2-1.0', '--train-dataset', 'constructor', '--out', at('t.onnx')),
      /unknown data set 'constructor'; known: fashion-mnist, cifar10/,
    );
  });
});

describe('command-line shape', () => {
  it.each([
    [['lut', 'diff', lut], /lut diff takes exactly two LUT files, got 1/],
    [['lut', 'diff', lut, lut, lut], /lut diff takes exactly two LUT files, got 3/],
    [['lut', 'merge', lut, '--out', at('m.json')], /lut merge takes two or more LUT files, got 1/],
    [['export', '--space', 'nb201', '--random', '--out', at('a.onnx'), '--out', at('b.onnx')], /--out takes one value but was given 2/],
    [['search', '--space', 'nb201', '--lut', lut, '--out', at('a.json'), '--seed', '1', '--seed', '2'], /--seed takes one value but was given 2/],
    [['lut', 'show', lut, '--top', '-1'], /--top must be a non-negative integer ≤ 1000000, got -1/],
    [['lut', 'show', lut, '--top', 'NaN'], /--top must be a non-negative integer ≤ 1000000, got NaN/],
    [['profile', '--device', 'mock', '--space', 'nb201', '--threads', '1000000', '--out', at('p.json')], /--threads must be a non-negative integer ≤ \d+ \(four per core/],
    [['predict', '--lut', lut, '--space', 'nb201', '--random', '1000000000'], /--random must be a positive integer ≤ 100000/],
    [['search', '--space', 'nb201', '--lut', lut, '--out', at('a.json'), '--budget', '1e9'], /--budget must be a positive integer ≤ 10000000, got 1000000000/],
    [['search', '--space', 'nb201', '--lut', lut, '--out', at('a.json'), '--target-ms', 'NaN'], /--target-ms must be a positive number/],
    // A local search evaluates one candidate at a time: --pending alone would be ignored, silently.
    [['search', '--space', 'nb201', '--lut', lut, '--out', at('a.json'), '--pending', '4'], /--pending needs --redis/],
    [['profile', '--device', 'mock', '--space', 'nb201', '--context-nets', '-1', '--out', at('p.json')], /--context-nets must be a non-negative integer ≤ 10000, got -1/],
  ])('%j', async (args, message) => {
    const t0 = Date.now();
    expectError(await nas(...args), message);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('device options are checked against what the device reads', () => {
  it.each([
    [['--device', 'cpu', '--device-opt', 'thread=2'], /unknown device option 'thread'; device 'ort-cpu' reads: threads, graphOptimizationLevel[^]*did you mean 'threads'\?/],
    [['--device', 'mock', '--device-opt', 'colour=blue'], /unknown device option 'colour'; device 'mock' reads: overheadMs/],
    [['--device', 'mock', '--device-opt', 'noise=loud'], /device 'mock': option 'noise' must be a number ≥ 0, got "loud"/],
  ])('%j', async (args, message) => {
    expectError(await nas('profile', '--space', 'nb201', '--out', at('opt.json'), ...args), message);
  });
});

describe('architectures are validated where they enter', () => {
  it.each([
    ['kernel 0', [conv(0, 1), ...head], /layer 0 \(stem conv\): k must be an integer in \[1, 63\], got 0/],
    ['an even kernel', [conv(4, 1), ...head], /layer 0 \(stem conv\): k must be odd for a conv \("same" padding\), got 4/],
    ['stride 0', [conv(3, 0), ...head], /layer 0 \(stem conv\): stride must be an integer in \[1, 64\], got 0/],
    ['0 channels', [conv(3, 1, 0), ...head], /cout must be an integer in \[1, 65536\], got 0/],
  ])('an architecture file with %s: export and predict refuse it', async (_, layers, message) => {
    const file = archFile('bad.json', layers);
    expectError(await nas('export', '--arch', file, '--out', at('bad.onnx')), message);
    expectError(await nas('predict', '--lut', lut, '--arch', file), message);
  });

  it('a version-2 (DAG) file: an input naming no earlier layer, a concat channel list out of range', async () => {
    const dag = (name: string, inputs: string[], channels: number[]) => {
      const file = at(name);
      const layers = [
        conv(3, 2),
        { role: 'block', id: 'a', inputs: ['layer0'], spec: { kind: 'conv', cout: 8, k: 1, stride: 1, groups: 1, dilation: 1, act: 'relu' } },
        { role: 'block', id: 'mixed', inputs, spec: { kind: 'concat', channels } },
        ...head,
      ];
      writeFileSync(file, JSON.stringify({ format: 'hw-nas-arch', version: 2, name, input: [1, 3, 32, 32], dtype: 'f32', layers }));
      return file;
    };
    const ok = await nas('export', '--arch', dag('ok.json', ['a', 'layer0'], [8, 8]), '--out', at('ok.onnx'));
    expect(ok.code, ok.stderr).toBe(0);
    const ghost = dag('ghost.json', ['a', 'ghost'], [8, 8]);
    expectError(await nas('export', '--arch', ghost, '--out', at('g.onnx')), /layer 2 'mixed' \(block concat\): input 'ghost' is not the input or an earlier layer/);
    const wide = dag('wide.json', ['a', 'layer0'], [8, 100000]);
    expectError(await nas('predict', '--lut', lut, '--arch', wide), /layer 2 'mixed' \(block concat\): channels must be a list of 1 to 64 integers in \[1, 65536\]/);
  });

  it('resolution 1 and 100000', async () => {
    const tiny = archFile('tiny.json', [conv(3, 2), conv(3, 2), ...head], [1, 3, 1, 1]);
    expectError(await nas('export', '--arch', tiny, '--out', at('tiny.onnx')), /input 1x1 is smaller than the network's total stride 4/);
    const huge = archFile('huge.json', [conv(3, 2), ...head], [1, 3, 100000, 100000]);
    expectError(await nas('export', '--arch', huge, '--out', at('huge.onnx')), /layer 0 \(stem conv\): its largest activation 1x3x100000x100000 would take 112 GiB \(f32\), over the 1\.0 GiB/);
    expectError(await nas('export', '--published', 'MobileNetV2-1.0', '--resolution', '1', '--out', at('p.onnx')), /smaller than the network's total stride 32/);
  });

  it('profile --space mbv2 --resolution 100000 (or 16000) --device cpu refuses before allocating anything', async () => {
    expectError(await nas('profile', '--space', 'mbv2', '--resolution', '100000', '--device', 'cpu', '--out', at('huge.lut.json')), /--resolution must be a positive integer ≤ 16384, got 100000/);
    expectError(
      await nas('profile', '--space', 'mbv2', '--resolution', '16000', '--device', 'cpu', '--out', at('huge.lut.json')),
      /space mbv2 at resolution 16000, op mbconv:.*: its largest activation 1x96x8000x8000 would take 23 GiB \(f32\)[^]*hint: use a smaller input resolution \(at most about \d+\)/,
    );
  });

  it.skipIf(affinitySupport() !== true)('profile --cpu naming a CPU this process may not use refuses before measuring anything (no LUT written)', async () => {
    const out = at('cpu.lut.json');
    expectError(await nas('profile', '--device', 'mock', '--space', 'nb201', '--calibrate', '0', '--cpu', '4095', '--out', out, ...FAST), /--cpu 4095: CPU 4095 is not one this process may run on/);
    expect(existsSync(out)).toBe(false);
  });

  it('a front file with a bad encoding or stride 0', async () => {
    const front = at('front.json');
    const r = await nas('search', '--space', 'nb201', '--lut', lut, '--budget', '8', '--strategy', 'random', '--evaluator', 'table', '--out', front);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(front, 'utf8'));
    const badEncoding = structuredClone(doc);
    badEncoding.members[0].encoding = badEncoding.members[0].encoding.map((c: number) => c + 1);
    writeFileSync(at('front-enc.json'), JSON.stringify(badEncoding));
    expectError(await nas('export', '--front', at('front-enc.json'), '--out', at('nets')), /member 0: "encoding" .* is not its architecture's encoding/);
    const badStride = structuredClone(doc);
    badStride.members[0].architecture.layers[0].spec.stride = 0;
    writeFileSync(at('front-stride.json'), JSON.stringify(badStride));
    expectError(await nas('export', '--front', at('front-stride.json'), '--out', at('nets')), /member 0 architecture, layer 0 \(stem conv\): stride must be an integer in \[1, 64\], got 0/);
  });
});

describe('absurd values are refused', () => {
  it.each([1e300, 1.7e308])('a LUT whose medians are %d is refused on load, not predicted or merged', async (median) => {
    const doc = JSON.parse(readFileSync(lut, 'utf8'));
    for (const e of Object.values(doc.entries) as { stats: Record<string, unknown> }[]) Object.assign(e.stats, { median, mean: median, max: median, p90: median, ci95: [0, median] });
    const bad = at('absurd.lut.json');
    writeFileSync(bad, JSON.stringify(doc));
    const message = new RegExp(`absurd\\.lut\\.json: entry '.*': median ${String(median).replace('+', '\\+')} ms is outside \\[0, 3600000\\] ms \\(one hour\\)`);
    expectError(await nas('predict', '--lut', bad, '--space', 'nb201', '--random', '1'), message);
    expectError(await nas('lut', 'merge', lut, bad, '--out', at('merged.json')), message);
  });

  it('a command evaluator printing accuracy 150 (%) names the architecture and the line', async () => {
    const r = await nas('search', '--space', 'nb201', '--lut', lut, '--budget', '3', '--strategy', 'random', '--evaluator', 'command', '--eval-command', 'echo "top-1: 150" # {arch}', '--out', at('cmd.json'));
    expectError(r, /evaluator command printed accuracy 150 for '\|.*\|', outside \[0, 100\], in the line: top-1: 150\n/);
    const ok = await nas('search', '--space', 'nb201', '--lut', lut, '--budget', '3', '--strategy', 'random', '--evaluator', 'command', '--eval-command', 'echo 0.5', '--eval-range', '0,1', '--out', at('cmd.json'));
    expect(ok.code, ok.stderr).toBe(0);
  });
});

describe('hints that suggest a command give one that works as printed', () => {
  /** The command a hint suggests, split into arguments (hints quote nothing that needs a shell here). */
  const suggested = (stderr: string, after: RegExp): string[] => {
    const m = after.exec(stderr);
    if (!m) throw new Error(`no suggested command in:\n${stderr}`);
    return m[1].trim().split(/\s+/).slice(1);
  };

  it("a LUT that does not cover the space: 'fill it with' carries the LUT's device options and protocol", async () => {
    const r = await nas('search', '--space', 'mbv2', '--resolution', '32', '--lut', lut, '--budget', '3', '--evaluator', 'proxy', '--out', at('s.json'));
    expectError(r, /does not cover space 'mbv2' at resolution 32/);
    const command = suggested(r.stderr, /fill it with: (nas profile .*)/);
    expect(command.join(' ')).toContain('--device-opt noise=0');
    expect(command.join(' ')).toContain('--warmup 1');
    const fill = await nas(...command, '--calibrate', '0');
    expect(fill.code, fill.stderr).toBe(0);
  }, 60_000);

  it("predict --profile-missing under other device settings: the hint gives the LUT's settings, not --out/--force", async () => {
    const arch = archFile('small.json', [conv(3, 2, 16), ...head]);
    const r = await nas('predict', '--lut', lut, '--arch', arch, '--profile-missing', '--device', 'mock');
    expectError(r, /measured under other settings than this run/);
    const settings = suggested(r.stderr, /run with the LUT's settings: (--device .*?) \(nas profile/);
    const rerun = await nas('predict', '--lut', lut, '--arch', arch, '--profile-missing', '--device', ...settings);
    expect(rerun.code, rerun.stderr).toBe(0);
  }, 60_000);
});
