/**
 * What makes two LUTs comparable: the same device settings and the same timing protocol. The store
 * (resuming), merge and diff all ask the same question through these functions, so they agree on it.
 */
import type { DeviceInfo, TimingProtocol } from '../devices/types.js';

/** The parts of DeviceInfo that change what a latency number means (not the Node version or warnings). */
function identity(d: DeviceInfo): Record<string, unknown> {
  return {
    device: d.device,
    runtime: d.runtime,
    runtimeVersion: d.runtimeVersion,
    ep: d.ep,
    ...Object.fromEntries(Object.entries(d.options).map(([k, v]) => [`options.${k}`, v])),
    'host.cpu': d.host.cpu,
    'host.cores': d.host.cores,
    ...(d.adapter ? { 'adapter.vendor': d.adapter.vendor, 'adapter.architecture': d.adapter.architecture, 'adapter.isFallback': d.adapter.isFallback } : {}),
  };
}

function differences(a: Record<string, unknown>, b: Record<string, unknown>, labels: [string, string]): string[] {
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  // By value: a setting may be an object (protocol.roundGate), equal when read back from a file.
  return fields.filter((f) => stableStringify(a[f]) !== stableStringify(b[f])).map((f) => `${f}: ${labels[0]} ${show(a[f])}, ${labels[1]} ${show(b[f])}`);
}

/** The device identity alone as stable text (what a farm worker's fingerprint hashes): LUTs accept measurements only from equal ones. */
export function deviceIdentityText(d: DeviceInfo): string {
  return stableStringify(identity(d));
}

/** One line per differing device field, e.g. `options.threads: LUT 2, now 1`; empty when they match. */
export function deviceDifferences(a: DeviceInfo, b: DeviceInfo, labels: [string, string] = ['A', 'B']): string[] {
  return differences(identity(a), identity(b), labels);
}

/**
 * The protocol as a setting: without `placement`, the record of where a run's processes were pinned (it
 * may differ from run to run), and without `referenceMs` and `referenceSlope`, the reference scale and slope a
 * LUT measured for itself (devices/reference.ts): the same protocol on another day measures another R and β; and
 * without `netRounds`, how whole nets are measured beside the entries (their rounds change no entry).
 */
function setting(p: TimingProtocol): Record<string, unknown> {
  const { placement: _, referenceMs: __, referenceSlope: ___, netRounds: ____, ...rest } = p;
  return rest;
}

export function protocolDifferences(a: TimingProtocol, b: TimingProtocol, labels: [string, string] = ['A', 'B']): string[] {
  return differences(setting(a), setting(b), labels);
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The text hashed into a LUT id: device identity and protocol, nothing that changes while profiling. */
export function identityText(device: DeviceInfo, protocol: TimingProtocol): string {
  return stableStringify({ device: identity(device), protocol: setting(protocol) });
}
