/**
 * The seed spaces (issue 11): every one samples deterministically, builds what it samples, rejects what it
 * must (regnet's non-4-stage vectors, AnyNetX D/E order), lists in allInstances every op instance its members
 * place (what `nas profile --space` measures), and holds the published nets it is the space of.
 */
import { describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { opKey } from '../../src/core/keys.js';
import { Rng } from '../../src/core/rng.js';
import { createSpace } from '../../src/spaces/registry.js';
import { seedNet } from '../../src/spaces/seed-nets/index.js';
import { AnyNetSpace } from '../../src/spaces/anynet.js';
import { regnetArch } from '../../src/spaces/anynet-model.js';
import { graphMetrics } from '../../src/core/graph/metrics.js';
import { lowerArchitecture } from '../../src/core/lower/index.js';
import { SPOS_CHOICES, SPOS_SCALE_IDS } from '../../src/spaces/seed-nets/shufflenet.js';
import type { ShuffleNetV2Space } from '../../src/spaces/shufflenetv2.js';

const SPACES = ['shufflenetv2', 'shufflenetv2-channels', 'fbnet', 'regnet', 'anynet', 'anynet-b', 'anynet-c', 'anynet-d', 'anynet-e'];

describe.each(SPACES)('space %s', (id) => {
  const space = createSpace(id, { resolution: 64 });

  it('samples the same vectors for the same seed, and builds them', () => {
    const a = Array.from({ length: 5 }, ((rng) => () => space.sample(rng))(new Rng(3)));
    const b = Array.from({ length: 5 }, ((rng) => () => space.sample(rng))(new Rng(3)));
    expect(a).toEqual(b);
    for (const c of a) {
      const arch = space.build(c);
      expect(arch.space).toEqual({ id, resolution: 64, encoding: c });
      expect(placeLayers(arch).at(-1)!.output).toEqual([1, 1000, 1, 1]);
    }
  });

  it('lists every op instance its members place', () => {
    const keys = new Set(space.allInstances().map(opKey));
    const rng = new Rng(7);
    for (let i = 0; i < 20; i++) for (const p of placeLayers(space.build(space.sample(rng)))) expect(keys.has(opKey(p.inst)), opKey(p.inst)).toBe(true);
  });

  it('rejects an option index out of range, naming the decision', () => {
    const c = space.sample(new Rng(1));
    c[0] = 99;
    expect(() => space.build(c)).toThrow(new RegExp(`${space.decisions()[0].name} must be an integer`));
  });
});

describe('space rules', () => {
  it('regnet keeps 4-stage networks only', () => {
    const space = createSpace('regnet');
    const names = space.decisions().map((d) => d.name);
    const pick = (v: Record<string, string>) => space.decisions().map((d) => d.options.indexOf(v[d.name]));
    // d 13, w0 24, wa 36, wm 2.5 gives 24·2.5^s for s = 0..3 quantized: 4 stages.
    expect(space.build(pick({ type: 'Y', depth: '13', w0: '24', wa: '36', wm: '2.5', g: '8', b: '1' })).layers.filter((l) => l.spec.kind === 'bottleneck')).toHaveLength(13);
    // w0 48 with wa 24 and wm 2.5 reaches only 48·2.5^2: 3 stages.
    expect(() => space.build(pick({ type: 'X', depth: '13', w0: '48', wa: '24', wm: '2.5', g: '8', b: '1' }))).toThrow(/3 stages.*4-stage/);
    expect(names).toEqual(['type', 'depth', 'w0', 'wa', 'wm', 'g', 'b']);
  });

  it("regnet's bottleneck ratio b: the 3×3 works on w / b channels (pycls-compatible with g), sampled like every decision; b = 1 is the published nets' rule", () => {
    const space = createSpace('regnet', { resolution: 64 });
    const pick = (v: Record<string, string>) => space.decisions().map((d) => d.options.indexOf(v[d.name]));
    const v = { type: 'X', depth: '13', w0: '24', wa: '36', wm: '2.5', g: '8' };
    const blocks = (b: string) => space.build(pick({ ...v, b })).layers.flatMap((l) => (l.spec.kind === 'bottleneck' ? [l.spec] : []));
    const one = blocks('1');
    expect(one.every((s) => s.mid === s.cout)).toBe(true);
    for (const b of [2, 4]) {
      const got = blocks(String(b));
      expect(got).toHaveLength(one.length);
      // pycls's adjust_block_compatibility: mid a multiple of the group width, the stage width mid · b.
      for (const s of got) {
        expect(s.cout).toBe(s.mid * b);
        expect(Number.isInteger(s.mid / s.groups) && s.mid / s.groups <= 8).toBe(true);
      }
    }
    const macs = (b: string) => graphMetrics(lowerArchitecture(space.build(pick({ ...v, b })))).macs;
    expect(macs('2')).toBeLessThan(macs('1'));
    expect(space.build(pick({ ...v, b: '1' })).name).toBe('regnet@64:RegnetX-d13-w024-wa36-wm2.5-g8');
    expect(space.build(pick({ ...v, b: '4' })).name).toBe('regnet@64:RegnetX-d13-w024-wa36-wm2.5-g8-b4');
    // Sampling reaches every b.
    const rng = new Rng(5);
    const seen = new Set(Array.from({ length: 60 }, () => space.sample(rng).at(-1)));
    expect([...seen].sort()).toEqual([0, 1, 2]);
    // The published RegNets are built by the same rule (regnetArch) at b = 1, and stay exactly what they were before
    // b was a parameter: parameters and MACs pinned to the values of the code before (commit 14c8289).
    const pinned: Record<string, [number, number]> = {
      'RegNetX-200MF': [2674368, 199422464],
      'RegNetX-400MF': [5477048, 414487632],
      'RegNetX-600MF': [6179400, 601708608],
      'RegNetY-200MF': [3152572, 200625792],
      'RegNetY-400MF': [4330568, 404171720],
      'RegNetY-600MF': [6040280, 603903840],
    };
    for (const [name, [params, macs]] of Object.entries(pinned)) {
      const m = graphMetrics(lowerArchitecture(seedNet(name)));
      expect([m.params, m.macs], name).toEqual([params, macs]);
    }
    const x200 = seedNet('RegNetX-200MF');
    expect(x200.layers).toEqual(regnetArch('RegNetX-200MF', { depth: 13, w0: 24, wa: 36.44, wm: 2.49, g: 8, b: 1 }, { resolution: 224, classes: 1000, se: 0 }).layers);
  });

  it('anynet-d rejects decreasing widths, anynet-e decreasing depths; anynet-c shares b and g', () => {
    const d = new AnyNetSpace('d');
    const e = new AnyNetSpace('e');
    const at = (s: AnyNetSpace, v: Record<string, string>) => s.decisions().map((x) => x.options.indexOf(v[x.name] ?? x.options[0]));
    const widths = { w1: '64', w2: '32', w3: '128', w4: '256' };
    expect(() => d.build(at(d, widths))).toThrow(/widths must not decrease/);
    expect(() => e.build(at(e, { w1: '32', w2: '64', w3: '128', w4: '256', d1: '2', d2: '1' }))).toThrow(/depths must not decrease/);
    expect(new AnyNetSpace('c').decisions().map((x) => x.name)).toEqual(['d1', 'w1', 'd2', 'w2', 'd3', 'w3', 'd4', 'w4', 'b', 'g']);
  });

  it('fbnet holds FBNet-A (its blocks and its 1504 head)', () => {
    const space = createSpace('fbnet');
    const fbnetA = seedNet('FBNet-A');
    const decisions = space.decisions();
    // FBNet-A's slots as labels of the space's options (skip where its catalog entry skips).
    const labels = ['skip', 'k3_e3', 'k3_e1', 'skip', 'skip', 'k5_e6', 'k3_e3', 'k5_e1', 'k3_e3', 'k5_e6', 'k5_e3', 'k5_e1_g2', 'k5_e6', 'k3_e6', 'k5_e1_g2', 'k5_e3', 'k3_e1_g2', 'k5_e6', 'k5_e6', 'k5_e3', 'k5_e6', 'k5_e6', '1504'];
    const choices = labels.map((l, i) => decisions[i].options.indexOf(l));
    expect(choices.every((c) => c >= 0)).toBe(true);
    const member = space.build(choices);
    expect(member.layers.map((l) => l.spec)).toEqual(fbnetA.layers.map((l) => l.spec));
  });

  it('shufflenetv2 builds the SPOS network from its choices when the scales are 1', () => {
    const space = createSpace('shufflenetv2');
    const arch = space.build(Array.from({ length: 20 }, () => 3));
    expect(arch.layers.filter((l) => l.spec.kind === 'shufflev2' && l.spec.xception)).toHaveLength(20);
  });

  it("shufflenetv2-channels holds SPOS (its blocks and channel scales) at the published 328M FLOPs", () => {
    const space = createSpace('shufflenetv2-channels') as ShuffleNetV2Space;
    expect(space.decisions()).toHaveLength(40);
    expect(space.decisions()[1]).toEqual({ name: 'block1.channels', options: ['0.2', '0.4', '0.6', '0.8', '1.0', '1.2', '1.4', '1.6', '1.8', '2.0'] });
    const member = space.build(space.encode(SPOS_CHOICES, SPOS_SCALE_IDS));
    const spos = seedNet('SPOS');
    expect(member.layers.map((l) => l.spec)).toEqual(spos.layers.map((l) => l.spec));
    // ../shared/data/published-nets lists SPOS's middle widths: int(cout/2 · scale).
    const mids = member.layers.flatMap((l) => (l.spec.kind === 'shufflev2' ? [l.spec.mid] : []));
    expect(mids).toEqual([44, 38, 25, 38, 48, 112, 64, 80, 96, 192, 256, 192, 160, 224, 256, 160, 320, 384, 320, 256]);
    const { macs } = graphMetrics(lowerArchitecture(member));
    expect(Math.abs(macs / 328e6 - 1)).toBeLessThan(0.03);
    // Without the channel search, every middle width is cout/2 and a scale other than 1.0 is refused.
    expect(() => (createSpace('shufflenetv2') as ShuffleNetV2Space).encode(SPOS_CHOICES, SPOS_SCALE_IDS)).toThrow(/shufflenetv2-channels/);
  });
});
