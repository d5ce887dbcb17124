/** The human rendering of a verification: one row per net, then the overall figures and the checks. */
import { ms, table } from '../core/format.js';
import { METRIC_HEADERS, metricCells } from '../core/arch-metrics.js';
import type { VerifyResult } from './types.js';

const pct = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`;
const ci = (c: [number, number] | null) => (c ? `${ms(c[0])}–${ms(c[1])}` : '-');
const fmt = (v: number | null | undefined, digits: number) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));

export function renderVerify(r: VerifyResult, files: { report?: string; csv?: string } = {}): string {
  const lines: string[] = [];
  const source = r.prediction.source === 'lut' ? `LUT ${r.prediction.lutId} (${r.prediction.path})` : `the front's latencies (${r.prediction.latency.id})`;
  lines.push(`verified ${r.front.path} (${r.front.space.id}, ${r.members.length} nets) on ${r.device.device} (${r.device.runtime} ${r.device.runtimeVersion}, ${r.device.ep}); predictions from ${source}`);
  if (r.transfer) {
    lines.push(`transfer: predictions describe ${r.transfer.from}; measured on ${r.transfer.to}. The errors below include the transfer error:`);
    for (const d of r.transfer.differences.slice(0, 6)) lines.push(`  ${d}`);
  }
  const t = r.targetMs;
  const rows = r.members.map((m) => [
    m.index,
    m.accuracy.toFixed(3),
    ms(m.predicted.ms),
    ci(m.predicted.ci95),
    m.measured ? ms(m.measured.median) : m.failure ? 'failed' : '-',
    m.measured ? ci(m.measured.ci95) : '-',
    m.errorPct === null ? '-' : pct(m.errorPct),
    m.measured ? (m.onMeasuredFront ? 'yes' : 'dropped') : '-',
    ...(t === null ? [] : [m.withinTarget === null ? '-' : m.withinTarget ? 'yes' : 'no']),
    ...metricCells(m.metrics),
    m.name,
  ]);
  lines.push(
    table(['#', 'accuracy', 'predicted ms', '95% CI', 'measured ms', '95% CI', 'error', 'front', ...(t === null ? [] : [`≤${t} ms`]), ...METRIC_HEADERS, 'name'], rows).trimEnd(),
  );
  for (const m of r.members.filter((x) => x.failure)) lines.push(`#${m.index} failed to ${m.failure!.stage}: ${m.failure!.message.split('\n')[0]}`);

  const s = r.summary;
  const a = s.agreement;
  if (a) {
    lines.push(
      `within ±10%: ${Math.round((a.within10 * a.n) / 100)}/${a.n} (${a.within10.toFixed(0)}%), within ±5%: ${a.within5.toFixed(0)}%; ` +
        `mean |error| ${a.meanAbsErrorPct.toFixed(1)}%, max ${a.maxAbsErrorPct.toFixed(1)}%; Kendall τ ${fmt(a.kendallTau, 3)}, Spearman ρ ${fmt(a.spearmanRho, 3)}`,
    );
    const index = new Map(r.members.map((m) => [m.name, m.index]));
    lines.push(
      `front on measured latency: ${s.measuredFront.length} of ${s.measured} stay` +
        (s.dropped.length ? `; dropped: ${s.dropped.map((n) => `#${index.get(n)}`).join(', ')}` : '; none dropped'),
    );
    const best = r.members.find((m) => m.name === s.bestMeasured);
    const predictedBest = r.members.find((m) => m.name === r.front.best);
    if (best)
      lines.push(
        `best ${t === null ? 'overall' : `within ${t} ms`} on measured latency: #${best.index} (${best.accuracy.toFixed(3)} at ${ms(best.measured!.median)} ms)` +
          (predictedBest && predictedBest !== best ? `; the search picked #${predictedBest.index} on predicted latency` : predictedBest ? ', as the search picked' : ''),
      );
    else lines.push(`no measured net is within ${t} ms`);
  } else lines.push('no net was measured');

  const checks: string[] = [];
  const c = r.checks;
  if (c.maxErrorPct) checks.push(`max |error| ${fmt(c.maxErrorPct.actual, 1)}% ${c.maxErrorPct.pass ? '≤' : '>'} ${c.maxErrorPct.limit}%: ${c.maxErrorPct.pass ? 'pass' : 'FAIL'}`);
  if (c.minTau) checks.push(`Kendall τ ${fmt(c.minTau.actual, 3)} ${c.minTau.pass ? '≥' : '<'} ${c.minTau.limit}: ${c.minTau.pass ? 'pass' : 'FAIL'}`);
  if (checks.length) lines.push(`checks: ${checks.join('; ')}`);
  lines.push(
    `measurements: ${s.measured - s.resumed} made now, ${s.resumed} reused, ${s.failed} failed; saved in ${r.statePath}` +
      (files.report ? `; report ${files.report}` : '') +
      (files.csv ? `; csv ${files.csv}` : ''),
  );
  return lines.join('\n') + '\n';
}
