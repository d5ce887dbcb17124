/**
 * A LUT of the nb201 space measured on the mock device, and a front of nets predicted from it. The
 * fronts' accuracies are fixed test values that rise with predicted latency (so every member is on the
 * predicted front): the verify code under test does not care where accuracy came from.
 */
import path from 'node:path';
import { MockDevice } from '../../devices/mock/index.js';
import type { DeviceOptions, TimingProtocol } from '../../devices/types.js';
import { Rng } from '../../src/core/rng.js';
import { lutLatencySource } from '../../src/predict/latency-source.js';
import { profile } from '../../src/profile/profiler.js';
import { frontMember, FRONT_FORMAT, FRONT_VERSION, writeFrontFile, type FrontFile } from '../../src/search/front-file.js';
import { createSpace } from '../../src/spaces/registry.js';

export const FAST: TimingProtocol = { warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 150, targetCI: 0.02 };

export async function mockLut(file: string, options: DeviceOptions = {}, protocol = FAST): Promise<string> {
  const space = createSpace('nb201');
  const device = new MockDevice(options);
  try {
    await profile({ device, instances: space.allInstances(), protocol, lutPath: file, space: 'nb201@32' });
  } finally {
    await device.dispose();
  }
  return file;
}

/** A front of `n` distinct random nb201 nets predicted from `lutPath`, written beside it as `name`. */
export async function mockFront(lutPath: string, name: string, n = 5, opts: { targetMs?: number; seed?: number } = {}): Promise<{ file: string; front: FrontFile }> {
  const space = createSpace('nb201');
  const source = await lutLatencySource(lutPath, space);
  const rng = new Rng(opts.seed ?? 7);
  const byName = new Map<string, ReturnType<typeof space.build>>();
  while (byName.size < n) {
    const arch = space.build(space.sample(rng));
    byName.set(arch.name, arch);
  }
  const nets = [...byName.values()].map((arch) => ({ arch, latency: source.latency(arch) })).sort((a, b) => a.latency.ms - b.latency.ms);
  const members = nets.map((x, i) => frontMember(x.arch, 80 + i, x.latency));
  const target = opts.targetMs;
  const feasible = members.filter((m) => target === undefined || m.latency.ms <= target);
  const front: FrontFile = {
    format: FRONT_FORMAT,
    version: FRONT_VERSION,
    space: { id: 'nb201', options: { resolution: 32 } },
    latency: { id: source.id, provenance: source.provenance },
    evaluator: { id: 'fixture', provenance: { kind: 'fixture' } },
    target: target === undefined ? null : { latencyMs: target },
    strategy: 'fixture',
    seed: 0,
    budget: n,
    evaluations: n,
    best: feasible.length ? feasible[feasible.length - 1].name : null,
    members,
    created: new Date().toISOString(),
  };
  const file = path.join(path.dirname(lutPath), name);
  writeFrontFile(file, front);
  return { file, front };
}
