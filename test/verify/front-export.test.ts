import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchFile } from '../../src/spaces/arch-file.js';
import type { FrontFile } from '../../src/search/front-file.js';
import { exportFrontMembers, parseSelection, selectMembers } from '../../src/verify/front-export.js';
import { VerifyState } from '../../src/verify/state.js';
import { MockDevice } from '../../devices/mock/index.js';
import { FAST, mockFront, mockLut } from './fixtures.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-front-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let front: FrontFile;
let frontFile: string;
beforeAll(async () => {
  const lut = await mockLut(path.join(dir, 'mock.lut.json'));
  ({ front, file: frontFile } = await mockFront(lut, 'front.json', 4));
  front.best = front.members[2].name;
});

describe('--select', () => {
  it('parses every form and refuses anything else with the accepted forms', () => {
    expect(parseSelection('all')).toEqual({ kind: 'all' });
    expect(parseSelection('best')).toEqual({ kind: 'best' });
    expect(parseSelection('index=3')).toEqual({ kind: 'index', index: 3 });
    expect(parseSelection('best-under=5ms')).toEqual({ kind: 'best-under', ms: 5 });
    expect(parseSelection('best-under=0.25')).toEqual({ kind: 'best-under', ms: 0.25 });
    for (const bad of ['index=0', 'index=-1', 'best-under=0ms', 'best-under=5s', 'first', ''])
      expect(() => parseSelection(bad), bad).toThrow(/--select|numbered from 1/);
  });

  it('selects by position (from 1), the front’s best, and the most accurate within a latency', () => {
    expect(selectMembers(front, { kind: 'all' }).map((x) => x.index)).toEqual([1, 2, 3, 4]);
    expect(selectMembers(front, { kind: 'index', index: 2 })[0].member.name).toBe(front.members[1].name);
    expect(selectMembers(front, { kind: 'best' })[0].index).toBe(3);
    const limit = front.members[1].latency.ms;
    expect(selectMembers(front, { kind: 'best-under', ms: limit })[0].index).toBe(2);
    expect(() => selectMembers(front, { kind: 'index', index: 5 })).toThrow(/has 4 member\(s\) \(index=1..4\)/);
    expect(() => selectMembers(front, { kind: 'best-under', ms: front.members[0].latency.ms / 2 })).toThrow(/no member of the front is predicted within .* ms \(the fastest takes/);
    expect(() => selectMembers({ ...front, best: null }, { kind: 'best' })).toThrow(/names no best member/);
  });
});

describe('exportFrontMembers', () => {
  it('writes member-<#>.onnx with a sidecar holding the architecture, accuracy, predicted latency and LUT id', () => {
    const out = path.join(dir, 'nets');
    const nets = exportFrontMembers(front, frontFile, selectMembers(front, { kind: 'index', index: 2 }), out, 3);
    expect(nets).toEqual([expect.objectContaining({ index: 2, onnx: path.join(out, 'member-2.onnx'), sidecar: path.join(out, 'member-2.json') })]);
    const onnx = readFileSync(nets[0].onnx);
    expect(onnx.length).toBe(nets[0].bytes);
    const sidecar = JSON.parse(readFileSync(nets[0].sidecar, 'utf8'));
    const m = front.members[1];
    expect(sidecar).toMatchObject({
      format: 'hw-nas-exported-net',
      version: 1,
      onnx: 'member-2.onnx',
      name: m.name,
      accuracy: m.accuracy,
      predictedLatency: { ms: m.latency.ms, ci95: m.latency.ci95, source: front.latency.id },
      lutId: front.latency.provenance.lutId,
      inputs: [{ name: 'input', shape: [1, 3, 32, 32] }],
      weights: { seed: 3 },
      architecture: { format: 'hw-nas-arch', name: m.name, layers: m.architecture.layers },
    });
    // The sidecar is an architecture file too (nas predict/profile/export --arch member-2.json).
    return readArchFile(nets[0].sidecar).then((arch) => expect(arch.layers).toEqual(m.architecture.layers));
  });

  it('names the folder it cannot create', () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(() => exportFrontMembers(front, frontFile, selectMembers(front, { kind: 'all' }), path.join(file, 'sub'), 0)).toThrow(/cannot create the output folder/);
  });
});

describe('VerifyState', () => {
  it('refuses a corrupt or foreign state file with a hint to delete it', async () => {
    const info = await new MockDevice().init();
    const bad = path.join(dir, 'bad.verify.json');
    writeFileSync(bad, '{"format":"hw-nas-front"}');
    expect(() => VerifyState.open(bad, info, FAST)).toThrow(/is not a "hw-nas-verify-state" version 1 document/);
    writeFileSync(bad, '{oops');
    expect(() => VerifyState.open(bad, info, FAST)).toThrow(/unreadable/);
  });
});
