import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNb201Space } from '../../src/spaces/nb201.js';
import { frontMember, readFrontFile, validateFront, writeFrontFile, type FrontFile } from '../../src/search/front-file.js';

function sample(): FrontFile {
  const space = createNb201Space();
  return {
    format: 'hw-nas-front',
    version: 1,
    space: { id: 'nb201', options: { resolution: 32 } },
    latency: { id: 'table:nb201:pixel3', provenance: { kind: 'table', device: 'pixel3' } },
    evaluator: { id: 'table:nb201:cifar10', provenance: { kind: 'table', dataset: 'cifar10' } },
    target: { latencyMs: 5 },
    strategy: 'nsga2',
    seed: 0,
    budget: 10,
    evaluations: 10,
    best: '|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|',
    members: [
      frontMember(space.build([1, 0, 1, 0, 0, 1]), 86.54, { ms: 1.0546 }),
      frontMember(space.build([3, 3, 3, 1, 3, 2]), 94.373, { ms: 23.5848, ci95: [23, 24] }),
    ],
    created: '2026-01-01T00:00:00.000Z',
  };
}

describe('front files', () => {
  it('round-trip through disk', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'front-')), 'front.json');
    const front = sample();
    writeFrontFile(file, front);
    expect(readFrontFile(file)).toEqual(front);
    expect(front.members[0]).toMatchObject({ encoding: [1, 0, 1, 0, 0, 1], latency: { ms: 1.0546, ci95: null } });
  });

  it('name the file and the field when malformed', () => {
    const broken = (edit: (f: Record<string, any>) => void) => {
      const f = JSON.parse(JSON.stringify(sample()));
      edit(f);
      return () => validateFront(f, 'f.json');
    };
    expect(broken((f) => (f.format = 'hw-nas-lut'))).toThrow(/f.json: "format" must be "hw-nas-front", got "hw-nas-lut"/);
    expect(broken((f) => (f.version = 2))).toThrow(/unsupported version 2/);
    expect(broken((f) => delete f.latency)).toThrow(/"latency" must be \{"id": string, "provenance": object\}/);
    expect(broken((f) => (f.target = { latencyMs: -1 }))).toThrow(/"target" must be null or/);
    expect(broken((f) => (f.members[1].accuracy = 'high'))).toThrow(/member 1: "accuracy" must be a number/);
    expect(broken((f) => (f.members[0].latency = { ms: 1 }))).toThrow(/member 0: "latency" must be/);
    expect(broken((f) => (f.members[0].architecture.layers[0].spec.k = 'three'))).toThrow(/member 0 architecture: layer 0/);
    expect(broken((f) => (f.best = 'nobody'))).toThrow(/"best" must be null or the name of a member/);
    expect(broken((f) => (f.created = 'yesterday'))).toThrow(/"created" must be an ISO date/);
  });

  it('reject files that are missing or not JSON', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'front-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{');
    expect(() => readFrontFile(file)).toThrow(/front file .*bad.json is not valid JSON/);
    expect(() => readFrontFile(path.join(dir, 'none.json'))).toThrow(/front file not found/);
  });
});
