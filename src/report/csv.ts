/** A verification as CSV (RFC 4180): one row per net, for spreadsheets and plotting scripts. */
import type { VerifyResult } from '../verify/types.js';

const HEADER = [
  'index',
  'name',
  'accuracy',
  'predicted_ms',
  'predicted_ci95_low',
  'predicted_ci95_high',
  'measured_ms',
  'measured_ci95_low',
  'measured_ci95_high',
  'measured_n',
  'error_pct',
  'on_measured_front',
  'within_target',
  'status',
  'failure',
];

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function verifyCsv(r: VerifyResult): string {
  const rows = r.members.map((m) => [
    m.index,
    m.name,
    m.accuracy,
    m.predicted.ms,
    m.predicted.ci95?.[0],
    m.predicted.ci95?.[1],
    m.measured?.median,
    m.measured?.ci95[0],
    m.measured?.ci95[1],
    m.measured?.n,
    m.errorPct,
    m.measured ? m.onMeasuredFront : null,
    m.withinTarget,
    m.failure ? `failed-${m.failure.stage}` : m.measured?.resumed ? 'ok-resumed' : 'ok',
    m.failure?.message,
  ]);
  return [HEADER, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
