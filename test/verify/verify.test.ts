/** verifyFront on the mock device: resuming, a device that dies, members that fail, and refused inputs. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import type { Device, ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import { networkModel } from '../../export/model.js';
import type { Architecture } from '../../src/core/arch.js';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';
import { defaultStatePath } from '../../src/verify/state.js';
import { verifyFront } from '../../src/verify/verify.js';
import { FAST, mockFront, mockLut } from './fixtures.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let lut: string;
beforeAll(async () => {
  lut = await mockLut(path.join(dir, 'mock.lut.json'));
});

/** A mock device that stops working after `healthy` successful timings, as an unplugged phone would. */
function dyingDevice(healthy: number): Device {
  const inner = new MockDevice();
  let calls = 0;
  return {
    name: 'mock',
    init: () => inner.init(),
    supports: (inst) => inner.supports(inst),
    async time(model: ModelUnderTest, protocol: TimingProtocol) {
      if (++calls > healthy) throw new DeviceUnavailableError('mock', 'the connection dropped');
      return inner.time(model, protocol);
    },
    dispose: () => inner.dispose(),
  };
}

/** The mock device, able to interleave a reference (devices/reference.ts): the reference is timed as a model. */
class ReferenceMock extends MockDevice {
  async timeWithReference(model: ModelUnderTest, protocol: TimingProtocol, reference: ModelUnderTest) {
    const r = await this.time(model, protocol);
    return { ...r, referenceMs: (await this.time(reference, protocol)).stats.median };
  }
}

describe('verifyFront', () => {
  it('measures every member, saves each at once, and a re-run measures nothing', async () => {
    const { file } = await mockFront(lut, 'all.json', 5, { targetMs: 1e9 });
    const first = await verifyFront({ frontPath: file, device: new MockDevice() });
    expect(first.summary).toMatchObject({ measured: 5, resumed: 0, failed: 0 });
    expect(first.prediction).toMatchObject({ source: 'lut', path: lut });
    expect(first.transfer).toBeNull();
    expect(first.protocol).toEqual(FAST); // the LUT's protocol
    expect(first.members.every((m) => m.predicted.blocks.length > 0 && m.errorPct !== null)).toBe(true);
    expect(first.summary.bestMeasured).not.toBeNull();
    const state = JSON.parse(readFileSync(defaultStatePath(file), 'utf8'));
    expect(Object.values(state.settings as Record<string, { results: object }>)[0].results).toHaveProperty(first.members[0].name);

    const again = await verifyFront({ frontPath: file, device: new MockDevice() });
    expect(again.summary).toMatchObject({ measured: 5, resumed: 5 });
    expect(again.members.map((m) => m.measured!.median)).toEqual(first.members.map((m) => m.measured!.median));
  });

  it('keeps what a dying device measured, and the next run measures only the rest', async () => {
    const { file } = await mockFront(lut, 'dies.json', 5);
    const broken = await verifyFront({ frontPath: file, device: dyingDevice(2) });
    expect(broken.summary).toMatchObject({ measured: 2, failed: 3 });
    expect(broken.members[2].failure).toEqual({ stage: 'run', message: expect.stringMatching(/device unavailable: .*connection dropped/) });
    expect(broken.members[4].failure!.message).toMatch(/^not measured: device unavailable/);
    const progress: string[] = [];
    const resumed = await verifyFront({ frontPath: file, device: new MockDevice(), onProgress: (p) => progress.push(p.outcome) });
    expect(progress).toEqual(['resumed', 'resumed', 'measured', 'measured', 'measured']);
    expect(resumed.summary).toMatchObject({ measured: 5, resumed: 2, failed: 0 });
  });

  it('times all members in the same shuffled passes, and a run killed between passes keeps the rounds taken', async () => {
    const { file } = await mockFront(lut, 'passes.json', 5, { targetMs: 1e9 });
    const log: string[] = [];
    const inner = new MockDevice();
    let calls = 0;
    const failAt = 5 + 2; // the third round of the second pass: the device dies with 7 rounds taken
    const spy = (dieAfter?: number): Device => ({
      name: 'mock',
      init: () => inner.init(),
      supports: (inst) => inner.supports(inst),
      async time(model: ModelUnderTest, protocol: TimingProtocol) {
        if (dieAfter !== undefined && ++calls > dieAfter) throw new DeviceUnavailableError('mock', 'the connection dropped');
        log.push(model.key);
        return inner.time(model, protocol);
      },
      dispose: () => inner.dispose(),
    });
    const broken = await verifyFront({ frontPath: file, device: spy(failAt), protocol: { rounds: 3 } });
    expect(broken.summary).toMatchObject({ measured: 0, failed: 5 });
    expect(log).toHaveLength(7);
    expect(new Set(log.slice(0, 5)).size).toBe(5); // the first pass holds every member once
    expect(existsSync(`${defaultStatePath(file)}.rounds.json`)).toBe(true);
    log.length = 0;
    const done = await verifyFront({ frontPath: file, device: spy(), protocol: { rounds: 3 } });
    expect(done.summary).toMatchObject({ measured: 5, resumed: 0, failed: 0 });
    expect(log).toHaveLength(3 * 5 - 7); // only the rounds still missing
    expect(existsSync(`${defaultStatePath(file)}.rounds.json`)).toBe(false);
  });

    it('reports a member that fails to export and measures the others', async () => {
    const { file, front } = await mockFront(lut, 'export-fails.json', 4);
    const bad = front.members[1].name;
    const exportModel = (arch: Architecture) => {
      if (arch.name === bad) throw new UserError('emitter for this block is broken');
      return networkModel(arch);
    };
    const r = await verifyFront({ frontPath: file, device: new MockDevice(), exportModel });
    expect(r.members[1]).toMatchObject({ measured: null, errorPct: null, failure: { stage: 'export', message: 'emitter for this block is broken' } });
    expect(r.summary).toMatchObject({ measured: 3, failed: 1 });
  });

  it('keeps measurements of different settings apart, and notes a transfer to another device', async () => {
    const { file } = await mockFront(lut, 'transfer.json', 3);
    const other = await verifyFront({ frontPath: file, device: new MockDevice({ opMs: 0.05 }) });
    expect(other.summary.resumed).toBe(0);
    expect(other.transfer!.differences).toContainEqual(expect.stringMatching(/options.opMs: LUT .*, here 0.05/));
    const slower = await verifyFront({ frontPath: file, device: new MockDevice(), protocol: { minRepeats: 7 } });
    expect(slower.protocol.minRepeats).toBe(7);
    expect(slower.summary.resumed).toBe(0);
    const state = JSON.parse(readFileSync(defaultStatePath(file), 'utf8'));
    expect(Object.keys(state.settings)).toHaveLength(2);
  });

  it('keeps measurements scaled to another timing reference R apart: a LUT profiled again with a new R gets its nets measured again', async () => {
    const lutPath = path.join(dir, 'reference.lut.json');
    const { profile } = await import('../../src/profile/profiler.js');
    const { createSpace } = await import('../../src/spaces/registry.js');
    await profile({ device: new ReferenceMock(), instances: createSpace('nb201').allInstances(), protocol: { ...FAST, reference: 'conv' }, lutPath, space: 'nb201@32' });
    const r1 = JSON.parse(readFileSync(lutPath, 'utf8')).protocol.referenceMs as number;
    expect(r1).toBeGreaterThan(0);
    const { file } = await mockFront(lutPath, 'reference.json', 3);
    const first = await verifyFront({ frontPath: file, device: new ReferenceMock() });
    expect(first.protocol.referenceMs).toBe(r1);
    expect(first.summary).toMatchObject({ measured: 3, resumed: 0 });
    expect((await verifyFront({ frontPath: file, device: new ReferenceMock() })).summary.resumed).toBe(3);
    // The same LUT (same id: R is not part of it) with another R, as after profiling it again.
    const doc = JSON.parse(readFileSync(lutPath, 'utf8'));
    doc.protocol.referenceMs = r1 * 1.25;
    writeFileSync(lutPath, JSON.stringify(doc));
    const other = await verifyFront({ frontPath: file, device: new ReferenceMock() });
    expect(other.protocol.referenceMs).toBe(r1 * 1.25);
    expect(other.summary).toMatchObject({ measured: 3, resumed: 0 });
    const state = JSON.parse(readFileSync(defaultStatePath(file), 'utf8'));
    expect(Object.keys(state.settings)).toHaveLength(2);
    expect(Object.keys(state.settings).every((id) => /-R[0-9.]+(-b[0-9.]+)?$/.test(id))).toBe(true);
  });

  it("on another device than the LUT's, leaves the LUT's reference, R and β out (they were measured on its device and machine) and says so", async () => {
    const lutPath = path.join(dir, 'transfer-reference.lut.json');
    const { profile } = await import('../../src/profile/profiler.js');
    const { createSpace } = await import('../../src/spaces/registry.js');
    await profile({ device: new ReferenceMock(), instances: createSpace('nb201').allInstances(), protocol: { ...FAST, reference: 'conv' }, lutPath, space: 'nb201@32' });
    const doc = JSON.parse(readFileSync(lutPath, 'utf8'));
    doc.protocol.referenceSlope = 0.43;
    writeFileSync(lutPath, JSON.stringify(doc));
    const { file } = await mockFront(lutPath, 'transfer-reference.json', 2);
    const same = await verifyFront({ frontPath: file, device: new ReferenceMock() });
    expect(same.protocol).toMatchObject({ reference: 'conv', referenceMs: doc.protocol.referenceMs, referenceSlope: 0.43 });
    expect(same.transfer).toBeNull();
    // Another device (the mock with other options): timed as it runs, with neither the LUT's R nor its β.
    const other = await verifyFront({ frontPath: file, device: new ReferenceMock({ opMs: 0.5 }), statePath: path.join(dir, 'transfer-reference.other.json') });
    expect(other.protocol).not.toHaveProperty('reference');
    expect(other.protocol).not.toHaveProperty('referenceMs');
    expect(other.protocol).not.toHaveProperty('referenceSlope');
    expect(other.transfer?.differences[0]).toMatch(/^the LUT's figures are scaled to its timing reference conv \(R [0-9.]+ ms, β 0\.430\), measured on the LUT's device and machine; the nets here are timed as they run, without the reference$/);
    const { verifyProtocol } = await import('../../src/verify/protocol.js');
    expect(verifyProtocol(doc, {}, other.device)).toEqual(other.protocol);
  });

  it('refuses a LUT other than the front’s, a LUT that does not cover it, and members of another space', async () => {
    const { file, front } = await mockFront(lut, 'checks.json', 3);
    const otherLut = await mockLut(path.join(dir, 'other.lut.json'), { opMs: 0.5 });
    await expect(verifyFront({ frontPath: file, lutPath: otherLut, device: new MockDevice() })).rejects.toThrow(/was searched with LUT mock-\w+, but .*other.lut.json is LUT mock-\w+/);

    // Same device and protocol (so the same LUT id), but profiled for another space.
    const { profile } = await import('../../src/profile/profiler.js');
    const { createSpace } = await import('../../src/spaces/registry.js');
    const mbv2Lut = path.join(dir, 'mbv2.lut.json');
    await profile({ device: new MockDevice(), instances: createSpace('mbv2', { resolution: 32 }).allInstances(), protocol: FAST, lutPath: mbv2Lut, space: 'mbv2@32' });
    await expect(verifyFront({ frontPath: file, lutPath: mbv2Lut, device: new MockDevice() })).rejects.toThrow(/profiled for mbv2@32\) lacks \d+ op instance\(s\) of the front's members \(space nb201@32\)/);

    const mixed = structuredClone(front);
    mixed.members[1].architecture.space = { id: 'mbv2', resolution: 32, encoding: [] };
    const mixedFile = path.join(dir, 'mixed.json');
    writeFileSync(mixedFile, JSON.stringify(mixed));
    await expect(verifyFront({ frontPath: mixedFile, device: new MockDevice() })).rejects.toThrow(/member 2 .* is from space mbv2@32, but the front says nb201@32/);
  });

  it('checks the state path before measuring', async () => {
    const { file } = await mockFront(lut, 'state.json', 2);
    const notADir = path.join(dir, 'plain-file');
    writeFileSync(notADir, 'x');
    let inits = 0;
    const device = new MockDevice();
    const counting: Device = { name: 'mock', init: () => (inits++, device.init()), supports: (i) => device.supports(i), time: (m, p) => device.time(m, p), dispose: () => device.dispose() };
    await expect(verifyFront({ frontPath: file, device: counting, statePath: path.join(notADir, 'state.json') })).rejects.toThrow(/cannot write --state .*: a parent of it is a file/);
    expect(inits).toBe(0);
    expect(existsSync(defaultStatePath(file))).toBe(false);
  });

  it('predicts from the front’s own figures when it was searched on a table of measured latencies', async () => {
    const { file, front } = await mockFront(lut, 'table.json', 3);
    const tableFront = { ...front, latency: { id: 'table:nb201:pixel3', provenance: { kind: 'table', device: 'pixel3' } } };
    writeFileSync(file, JSON.stringify(tableFront));
    const r = await verifyFront({ frontPath: file, device: new MockDevice() });
    expect(r.prediction).toEqual({ source: 'front', latency: tableFront.latency });
    expect(r.members.map((m) => m.predicted.ms)).toEqual(front.members.map((m) => m.latency.ms));
    expect(r.members[0].predicted.blocks).toEqual([]);
    expect(r.transfer!.from).toMatch(/table:nb201:pixel3/);
  });
});
