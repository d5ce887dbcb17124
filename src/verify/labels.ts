/** How devices and accuracy figures are named in verify output, reports and exported sidecars. */
import type { DeviceInfo } from '../../devices/types.js';
import type { Provenanced } from '../search/front-file.js';

/** A one-line description of a device's settings, for transfer notes. */
export function describeDevice(d: DeviceInfo): string {
  return `${d.device} (${d.runtime} ${d.runtimeVersion}, ${d.ep}${d.adapter ? `, ${d.adapter.vendor} ${d.adapter.architecture}` : ''}) on ${d.host.cpu}`;
}

/** How to label accuracy figures: evaluators that give a score say so. */
export function accuracyLabel(evaluator: Provenanced): string {
  const p = evaluator.provenance;
  if (p.kind === 'proxy') return `${String(p.metric ?? 'proxy').toUpperCase()} score (zero-cost proxy, larger is better; not %)`;
  if (p.kind === 'table') return `${String(p.dataset ?? '')} test accuracy (%)`.trim();
  return 'accuracy';
}
