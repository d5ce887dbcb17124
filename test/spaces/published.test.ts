import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { placeLayers } from '../../src/core/arch.js';
import { defaultPublishedPath, loadPublishedNets } from '../../src/spaces/published.js';
import { publishedArchitecture } from '../../src/spaces/catalog.js';
import { SEED_NETS } from '../../src/spaces/seed-nets/index.js';
import { networkModel } from '../../export/model.js';
import onnxProto from 'onnx-proto';

const have = existsSync(defaultPublishedPath());
if (!have) console.warn(`published nets tests skipped: ${defaultPublishedPath()} is missing (it ships in ../shared/data)`);

describe.skipIf(!have)('published nets', () => {
  it('loads the nets the catalog can express and says why the others are left out', () => {
    const { nets, unsupported } = loadPublishedNets();
    expect(nets.length + unsupported.length).toBe(15);
    expect(nets.length).toBeGreaterThanOrEqual(12);
    for (const u of unsupported) expect(u.reason).toMatch(/not in the catalog/);
    for (const net of nets) expect(placeLayers(net).at(-1)?.output).toEqual([1, 1000, 1, 1]);
  });

  it('builds MobileNetV2-1.0 as published: 17 blocks, 3.4M-ish params worth of layers, 300M MACs', async () => {
    const net = publishedArchitecture('MobileNetV2-1.0');
    expect(net.layers.filter((l) => l.role === 'block')).toHaveLength(17);
    const { macs } = await import('../../src/core/ops.js');
    const total = placeLayers(net).reduce((s, p) => s + macs(p.inst), 0);
    // MobileNetV2 1.0 @224 is ~300M multiply-adds (paper: 300M).
    expect(total / 1e6).toBeGreaterThan(290);
    expect(total / 1e6).toBeLessThan(320);
  });

  it('the reference nets its converter leaves out (FBNet-A, SPOS) are built by the seed catalog, and their names say where', () => {
    const { unsupported } = loadPublishedNets();
    expect(unsupported.map((u) => u.name).sort()).toEqual(['FBNet-A', 'SPOS (Single Path One-Shot, ShuffleNetV2 space)']);
    for (const u of unsupported) expect(SEED_NETS.some((n) => n.name === u.name || n.reference === u.name), u.name).toBe(true);
    expect(publishedArchitecture('FBNet-A').layers.some((l) => l.spec.kind === 'mbconv' && l.spec.pwGroups === 2)).toBe(true);
    expect(() => publishedArchitecture('SPOS (Single Path One-Shot, ShuffleNetV2 space)')).toThrow(/is built by the seed catalog as 'SPOS'/);
  });

  it('MobileNetV3-Large-1.0 gates every SE with a hard sigmoid, and its ONNX export has HardSigmoid and no Sigmoid', () => {
    const net = publishedArchitecture('MobileNetV3-Large-1.0', { resolution: 64 });
    const se = net.layers.filter((l) => l.spec.kind === 'mbconv' && l.spec.se > 0);
    expect(se.length).toBe(8);
    for (const l of se) expect(l.spec.kind === 'mbconv' && l.spec.gate).toBe('hsigmoid');
    const ops = (onnxProto.onnx.ModelProto.decode(networkModel(net).onnx).graph?.node ?? []).map((n) => n.opType);
    expect(ops.filter((t) => t === 'HardSigmoid')).toHaveLength(8);
    expect(ops).not.toContain('Sigmoid');
  });

  it('rescales to another resolution and rejects unknown names', () => {
    expect(publishedArchitecture('MnasNet-A1', { resolution: 96 }).input).toEqual([1, 3, 96, 96]);
    expect(() => publishedArchitecture('ResNet-9000')).toThrow(/unknown published net 'ResNet-9000'/);
  });
});
