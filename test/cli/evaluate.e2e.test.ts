import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectUserError, nasInProcess } from './helpers.js';
import { loadNb201Table } from '../../src/latency/nb201-data.js';

const nas = nasInProcess;
const dir = mkdtempSync(path.join(tmpdir(), 'nas-evaluate-'));

afterEach(() => {
  process.exitCode = undefined;
});

describe('nas evaluate', () => {
  it('scores a seeded sample into a scores file and CSV, and resumes it', async () => {
    const out = path.join(dir, 'table.json');
    const csv = path.join(dir, 'table.csv');
    const args = ['evaluate', '--space', 'nb201', '--sample', '6', '--seed', '2', '--evaluator', 'table', '--dataset', 'cifar100', '--out', out];
    const r = await nas(...args, '--csv', csv, '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ total: 6, resumed: 0, evaluator: { id: 'table:nb201:cifar100' }, space: { id: 'nb201' } });
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(file).toMatchObject({ format: 'hw-nas-scores', version: 1, complete: true, selection: { sample: 6, seed: 2 } });
    expect(new Set(file.records.map((x: { name: string }) => x.name)).size).toBe(6);
    // The scores are the benchmark's, record by record.
    const table = loadNb201Table();
    for (const rec of file.records) expect(rec.score).toBe(table.byArch.get(rec.name)!.acc.cifar100);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('name,encoding,score,seconds');
    expect(lines).toHaveLength(7);
    // Run again: everything is taken from the file.
    const again = await nas(...args, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ resumed: 6 });
    // Another evaluator must not mix its scores into this file.
    const other = await nas('evaluate', '--space', 'nb201', '--sample', '6', '--seed', '2', '--evaluator', 'table', '--dataset', 'cifar10', '--out', out);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds the scores of another run \(its evaluator differs\)/);
  });

  it('scores an architectures file with a zero-cost proxy and says what input it used', async () => {
    const archs = path.join(dir, 'archs.json');
    writeFileSync(archs, JSON.stringify(['|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|skip_connect~1|skip_connect~2|', [4, 4, 4, 4, 4, 4]]));
    const out = path.join(dir, 'synflow.json');
    const r = await nas('evaluate', '--space', 'nb201', '--archs', archs, '--evaluator', 'proxy', '--proxy', 'synflow', '--proxy-resolution', '8', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^proxy:synflow on nb201: 2 architectures scored \(0 resumed\)/);
    expect(r.stdout).toMatch(/input: none: one all-ones 8×8×3 image/);
    const file = JSON.parse(readFileSync(out, 'utf8'));
    expect(file.records.map((x: { encoding: number[] }) => x.encoding)).toEqual([
      [3, 3, 3, 1, 1, 1],
      [4, 4, 4, 4, 4, 4],
    ]);
    expect(file.evaluator.provenance).toMatchObject({ metric: 'synflow', input: expect.stringMatching(/all-ones/) });
  });

  it('rejects bad input with one message', async () => {
    expectUserError(await nas(...['evaluate', '--space', 'nb201', '--evaluator', 'table', '--out', path.join(dir, 'x.json')]), /name the architectures: --sample N/);
    expectUserError(await nas(...['evaluate', '--space', 'nb201', '--sample', '3', '--evaluator', 'table', '--proxy', 'synflow', '--out', path.join(dir, 'x.json')]), /--proxy is only used with --evaluator proxy/);
    expectUserError(await nas(...['evaluate', '--space', 'nb201', '--sample', '3', '--evaluator', 'proxy', '--proxy', 'zen', '--out', path.join(dir, 'x.json')]), /unknown proxy 'zen'/);
  });
});
