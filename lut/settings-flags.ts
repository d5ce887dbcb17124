/**
 * The command-line flags that reproduce a LUT's device settings and timing protocol, so a hint that
 * suggests a command ("fill it with: nas profile …") gives one that works as printed: the same
 * --threads, graph optimisation level, device options and protocol as the LUT, which LutStore checks.
 */
import { DEVICE_REGISTRY } from '../devices/registry.js';
import { defaultEstimator, defaultReferenceDrift, defaultRoundGate } from '../devices/reference-choice.js';
import { DEFAULT_PROTOCOL, type DeviceInfo, type TimingProtocol } from '../devices/types.js';

/** Device options that have their own flag; every other one the device declares goes to --device-opt. */
const OWN_FLAGS: Record<string, string> = { threads: '--threads', graphOptimizationLevel: '--graph-opt', browser: '--browser', browserEndpoint: '--browser-endpoint', host: '--host', port: '--port' };

const PROTOCOL_FLAGS: [keyof TimingProtocol, string][] = [
  ['warmup', '--warmup'],
  ['minRepeats', '--min-repeats'],
  ['maxRepeats', '--max-repeats'],
  ['maxTimeMs', '--max-time-ms'],
  ['targetCI', '--target-ci'],
];

const quote = (v: string) => (/^[\w.,:/@%+=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/**
 * "--device ort-cpu --threads 1 --warmup 5": the device, its options (`settable` lists the keys its
 * factory reads; recorded options it does not read, such as detected adapter features, are left out)
 * and the protocol fields that differ from the defaults.
 */
export function settingsFlags(device: DeviceInfo, protocol: TimingProtocol | undefined): string {
  const settable = DEVICE_REGISTRY.find(device.device)?.options;
  const flags = [`--device ${quote(device.device)}`];
  for (const [key, value] of Object.entries(device.options)) {
    if (settable && !settable.includes(key)) continue;
    const v = quote(String(value));
    flags.push(Object.hasOwn(OWN_FLAGS, key) ? `${OWN_FLAGS[key]} ${v}` : `--device-opt ${quote(`${key}=${value}`)}`);
  }
  if (protocol) for (const [key, flag] of PROTOCOL_FLAGS) if (protocol[key] !== DEFAULT_PROTOCOL[key]) flags.push(`${flag} ${protocol[key]}`);
  if (protocol?.cpu !== undefined) flags.push(`--cpu ${quote(protocol.cpu)}`);
  // --reference auto gives the device's default reference (devices/reference.ts): said only where the LUT's differs.
  if (protocol && protocol.reference !== DEVICE_REGISTRY.find(device.device)?.defaultReference) flags.push(`--reference ${protocol.reference ?? 'off'}`);
  // The estimator where it is not the CLI's default for the LUT's reference (a LUT measured with the median of
  // the scaled rounds, the default before lower-half).
  if (protocol?.estimator !== undefined && (protocol.rounds ?? 1) > 1 && protocol.estimator !== defaultEstimator(protocol.reference)) flags.push(`--estimator ${protocol.estimator}`);
  // No round gate where --round-gate auto would give one (a LUT measured before the gate existed, or with it off).
  if (protocol && protocol.roundGate === undefined && defaultRoundGate(protocol.reference, protocol.rounds) !== undefined) flags.push('--round-gate off');
  // No drift scaling where --reference-drift auto would give it (a LUT measured before it existed, or with it off).
  if (protocol && protocol.referenceDrift === undefined && defaultReferenceDrift(protocol.reference, protocol.rounds) !== undefined) flags.push('--reference-drift off');
  return flags.join(' ');
}
