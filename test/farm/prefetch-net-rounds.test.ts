/** A farm's prefetch queues whole nets under their own rounds (protocol.netRounds), as profile() and verify time them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelUnderTest, TimingProtocol } from '../../devices/types.js';
import type { FarmDevice } from '../../src/farm/farm-device.js';
import { prefetchLut } from '../../src/farm/prefetch.js';
import { resolveDevice } from '../../devices/registry.js';

const PROTOCOL: TimingProtocol = { warmup: 1, minRepeats: 3, maxRepeats: 10, maxTimeMs: 100, targetCI: 0.5, rounds: 3, netRounds: 6 };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('prefetchLut with protocol.netRounds', () => {
  it('queues the overhead and entries under the rounds and the nets under netRounds', async () => {
    const mock = await resolveDevice('mock');
    const calls: { keys: string[]; rounds: number | undefined }[] = [];
    const farm = {
      init: () => mock.init(),
      supports: () => true as const,
      askSupport: async () => {},
      prefetch: async (models: Iterable<ModelUnderTest>, protocol: TimingProtocol) => {
        const keys = [...models].map((m) => m.key);
        calls.push({ keys, rounds: protocol.rounds });
        return keys.length;
      },
    } as unknown as FarmDevice;
    const dir = mkdtempSync(path.join(tmpdir(), 'prefetch-net-rounds-'));
    dirs.push(dir);
    const net = (id: string) => ({ id, instances: [], build: () => ({ key: `net-${id}`, onnx: new Uint8Array(8), inputs: [] }) as unknown as ModelUnderTest });
    const n = await prefetchLut(farm, { instances: [], lutPath: path.join(dir, 'x.lut.json'), protocol: PROTOCOL, nets: [net('a'), net('b')] });
    expect(n).toBe(3);
    const nets = calls.find((c) => c.keys.includes('net-a'))!;
    expect(nets.rounds).toBe(6);
    expect(nets.keys).toEqual(['net-a', 'net-b']);
    const rest = calls.filter((c) => c !== nets);
    expect(rest.flatMap((c) => c.keys)).toHaveLength(1);
    expect(rest.every((c) => c.rounds === 3)).toBe(true);
  });
});
