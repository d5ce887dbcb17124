/**
 * Every seed network against its published figures: parameters (BatchNorm folded into the convs) within 1% and
 * MACs within 3%, widened only to half the last digit a source rounds to (pycls's "2.7M", "0.2B"). A wrong
 * channel count or a missing branch moves the figures by more than that.
 */
import { describe, expect, it } from 'vitest';
import { graphMetrics } from '../../src/core/graph/metrics.js';
import { SEED_NETS, seedNet } from '../../src/spaces/seed-nets/index.js';
import type { Figure } from '../../src/spaces/seed-nets/index.js';
import { lowerArchitecture } from '../../src/core/lower/index.js';

const NAMES = [
  'ResNet-18', 'ResNet-50', 'ResNeXt-50-32x4d', 'RegNetX-200MF', 'RegNetX-400MF', 'RegNetX-600MF', 'RegNetY-200MF', 'RegNetY-400MF',
  'RegNetY-600MF', 'ShuffleNetV2-1.0', 'SPOS', 'SqueezeNet-1.1', 'GoogLeNet', 'MobileNetV1-1.0', 'EfficientNet-B1', 'EfficientNet-B2',
  'EfficientNet-B3', 'FBNet-A', 'DARTS-V2', 'NASNet-A-Mobile',
];

function within(ours: number, fig: Figure, rel: number): void {
  const tol = Math.max(rel * fig.value, (fig.unit ?? 0) / 2);
  expect(Math.abs(ours - fig.value), `${ours} vs published ${fig.value} (${fig.source}), tolerance ${tol}`).toBeLessThanOrEqual(tol);
}

describe('seed networks', () => {
  it('has exactly the named nets, each with sources', () => {
    expect(SEED_NETS.map((n) => n.name).sort()).toEqual([...NAMES].sort());
    for (const n of SEED_NETS) for (const f of [n.published.params, n.published.macs]) expect(f.source.length).toBeGreaterThan(10);
  });

  it.each(NAMES)('%s matches its published parameters (1%%) and MACs (3%%)', (name) => {
    const net = SEED_NETS.find((n) => n.name === name)!;
    const m = graphMetrics(lowerArchitecture(seedNet(name)));
    within(m.params, net.published.params, 0.01);
    within(m.macs, net.published.macs, 0.03);
  });

  it('a wrong width fails the check (ResNet-18 with a 3rd stage of 192 channels)', () => {
    const arch = seedNet('ResNet-18');
    const wrong = { ...arch, layers: arch.layers.map((l) => (l.spec.kind === 'basic' && l.spec.cout === 256 ? { ...l, spec: { ...l.spec, cout: 192 } } : l)) };
    const m = graphMetrics(lowerArchitecture(wrong));
    expect(Math.abs(m.params / 11_689_512 - 1)).toBeGreaterThan(0.01);
  });

  it('builds at another resolution and class count', () => {
    const arch = seedNet('RegNetY-400MF', { resolution: 64, classes: 10 });
    expect(arch.input).toEqual([1, 3, 64, 64]);
    expect(graphMetrics(lowerArchitecture(arch)).params).toBeLessThan(4_330_568);
  });
});
