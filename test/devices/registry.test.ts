import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEVICES, DEVICE_NAMES, deviceName, listDevices, resolveDevice } from '../../devices/registry.js';
import type { DeviceFactory } from '../../devices/types.js';
import { DeviceUnavailableError, UserError } from '../../src/core/errors.js';

afterEach(() => vi.restoreAllMocks());

describe('device registry', () => {
  it('resolves names and aliases', async () => {
    expect(deviceName('cpu')).toBe('ort-cpu');
    expect(deviceName('mock')).toBe('mock');
    const d = await resolveDevice('mock');
    expect(d.name).toBe('mock');
  });

  it('lists the known names when a name is unknown', async () => {
    const err = await resolveDevice('tpu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain("unknown device 'tpu'");
    for (const name of DEVICE_NAMES) expect((err as UserError).message).toContain(name);
    expect((err as UserError).message).toContain('cpu → ort-cpu');
    expect((err as UserError).hint).toContain('nas-devices');
    expect(() => deviceName('toString')).toThrow(UserError);
  });

  it('turns an unavailable factory into a DeviceUnavailableError with its reason', async () => {
    vi.spyOn(DEVICES['ort-cpu'], 'available').mockResolvedValue('no native binary for this platform');
    const err = await resolveDevice('cpu').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as DeviceUnavailableError).device).toBe('ort-cpu');
    expect((err as Error).message).toBe("device 'ort-cpu' is not available here: no native binary for this platform");
    const listing = await listDevices();
    expect(listing.find((d) => d.name === 'ort-cpu')?.available).toBe('no native binary for this platform');
  });

  it('lists every device with a description', async () => {
    const listing = await listDevices();
    expect(listing.map((d) => d.name)).toEqual(DEVICE_NAMES);
    for (const d of listing) {
      expect(d.description.length).toBeGreaterThan(10);
      expect(d.available === true || typeof d.available === 'string').toBe(true);
    }
    expect(listing.find((d) => d.name === 'mock')?.available).toBe(true);
  });

  it('reports a throwing availability check instead of failing the listing', async () => {
    vi.spyOn(DEVICES.mock, 'available').mockRejectedValue(new Error('boom'));
    const listing = await listDevices();
    expect(listing.find((d) => d.name === 'mock')?.available).toBe('availability check failed: boom');
  });

  it('checks device options when creating a device', async () => {
    await expect(resolveDevice('cpu', { threads: 'many' })).rejects.toThrow("device 'ort-cpu': option 'threads' must be an integer ≥ 0, got \"many\"");
    await expect(resolveDevice('cpu', { graphOptimizationLevel: 'max' })).rejects.toThrow(/one of all, extended, basic, disabled/);
  });

  it('an option filled in for old LUTs (legacyOptions) is one a user can set, to resume such a LUT', () => {
    const withLegacy = (Object.values(DEVICES) as DeviceFactory[]).filter((f) => f.legacyOptions);
    expect(withLegacy.map((f) => f.name).sort()).toEqual(['browser-wasm', 'cuda', 'ort-cpu', 'remote', 'wasm', 'webgpu', 'webgpu-native']);
    for (const f of withLegacy) for (const key of Object.keys(f.legacyOptions!)) expect(f.options).toContain(key);
  });
});
