/**
 * The verification as one self-contained HTML file: chart.js and the data are inlined, nothing is
 * fetched, so the file can be mailed, archived or opened offline. Tables and provenance are rendered
 * here (readable without JavaScript); the page script (page-script.ts) draws the charts.
 */
import { METRIC_HEADERS, metricCells } from '../core/arch-metrics.js';
import { ms } from '../core/format.js';
import type { VerifiedMember, VerifyResult } from '../verify/types.js';
import { chartJsSource } from './chartjs.js';
import { PAGE_SCRIPT } from './page-script.js';

export const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | null | undefined, digits: number) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const ci = (c: [number, number] | null) => (c ? `${ms(c[0])}–${ms(c[1])}` : '–');
/** Text inside <script>: a closing tag in the data must not end the element. */
export const scriptSafe = (s: string) => s.replace(/<\/(script)/gi, '<\\/$1');

function kv(rows: [string, unknown][]): string {
  return `<table class="kv">${rows
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${typeof v === 'object' ? `<code>${esc(JSON.stringify(v))}</code>` : esc(v)}</td></tr>`)
    .join('')}</table>`;
}

function summaryCards(r: VerifyResult): string {
  const a = r.summary.agreement;
  const best = r.members.find((m) => m.name === r.summary.bestMeasured);
  const cards: [string, string][] = [
    ['nets', `${r.summary.measured} measured of ${r.members.length}${r.summary.failed ? `, <b class="bad">${r.summary.failed} failed</b>` : ''}`],
    ['within ±10%', a ? `${fmt(a.within10, 0)}% <small>(±5%: ${fmt(a.within5, 0)}%)</small>` : 'n/a'],
    ['mean / max |error|', a ? `${fmt(a.meanAbsErrorPct, 1)}% / ${fmt(a.maxAbsErrorPct, 1)}%` : 'n/a'],
    ['Kendall τ / Spearman ρ', a ? `${fmt(a.kendallTau, 3)} / ${fmt(a.spearmanRho, 3)}` : 'n/a'],
    ['front on measured latency', `${r.summary.measuredFront.length} stay, ${r.summary.dropped.length} dropped`],
    [
      r.targetMs === null ? 'best (measured)' : `best within ${r.targetMs} ms (measured)`,
      best ? `#${best.index}: ${best.accuracy.toFixed(3)} at ${ms(best.measured!.median)} ms` : 'none',
    ],
  ];
  const checks = [r.checks.maxErrorPct && ['max |error|', r.checks.maxErrorPct, '%'], r.checks.minTau && ['Kendall τ', r.checks.minTau, '']].filter(Boolean) as [
    string,
    { limit: number; actual: number | null; pass: boolean },
    string,
  ][];
  for (const [name, c, unit] of checks)
    cards.push([`check: ${name} ${name === 'Kendall τ' ? '≥' : '≤'} ${c.limit}${unit}`, `<b class="${c.pass ? 'good' : 'bad'}">${c.pass ? 'pass' : 'FAIL'}</b> (${fmt(c.actual, 3)}${unit})`]);
  return `<div class="cards">${cards.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${v}</div></div>`).join('')}</div>`;
}

function memberRow(m: VerifiedMember, targetMs: number | null): string {
  const err = m.errorPct === null ? '–' : `${m.errorPct >= 0 ? '+' : ''}${m.errorPct.toFixed(1)}%`;
  const errClass = m.errorPct === null ? '' : Math.abs(m.errorPct) <= 10 ? 'good' : 'bad';
  const measured = m.measured ? `${ms(m.measured.median)}` : m.failure ? `<b class="bad">failed (${esc(m.failure.stage)})</b>` : '–';
  return `<tr><td>${m.index}</td><td>${m.accuracy.toFixed(3)}</td><td>${ms(m.predicted.ms)}</td><td>${ci(m.predicted.ci95)}</td><td>${measured}</td><td>${
    m.measured ? ci(m.measured.ci95) : '–'
  }</td><td>${m.measured ? m.measured.n : '–'}</td><td class="${errClass}">${err}</td><td>${m.measured ? (m.onMeasuredFront ? 'yes' : '<b class="bad">dropped</b>') : '–'}</td>${
    targetMs === null ? '' : `<td>${m.withinTarget === null ? '–' : m.withinTarget ? 'yes' : 'no'}</td>`
  }${metricCells(m.metrics).map((c) => `<td>${esc(c)}</td>`).join('')}<td class="name">${esc(m.name)}</td></tr>`;
}

function blockTables(r: VerifyResult): string {
  const withBlocks = r.members.filter((m) => m.predicted.blocks.length);
  if (!withBlocks.length) return '';
  return withBlocks
    .map((m) => {
      const rows = m.predicted.blocks
        .map((b) => `<tr><td>${b.layerIndex}</td><td>${esc(b.role)}</td><td class="name">${esc(b.key)}</td><td>${ms(b.ms)}</td><td>${fmt((100 * b.ms) / m.predicted.ms, 1)}%</td></tr>`)
        .join('');
      const base = m.predicted.baseMs === null ? '' : `<tr><td></td><td>base</td><td>per-network base</td><td>${ms(m.predicted.baseMs)}</td><td>${fmt((100 * m.predicted.baseMs) / m.predicted.ms, 1)}%</td></tr>`;
      return `<details><summary>#${m.index} ${esc(m.name)} — predicted ${ms(m.predicted.ms)} ms${m.measured ? `, measured ${ms(m.measured.median)} ms` : ''}</summary><table class="data"><tr><th>layer</th><th>role</th><th>LUT entry</th><th>ms</th><th>share</th></tr>${base}${rows}</table></details>`;
    })
    .join('\n');
}

function provenance(r: VerifyResult): string {
  const d = r.device;
  const device = kv([
    ['device', d.device],
    ['runtime', `${d.runtime} ${d.runtimeVersion}`],
    ['execution provider', d.ep],
    ['options', d.options],
    ['adapter', d.adapter],
    ['host', `${d.host.cpu} (${d.host.cores} cores), ${d.host.os}, node ${d.host.node}`],
    ['timing', d.timing],
    ['warnings', d.warnings?.join('; ')],
    ['protocol', r.protocol],
  ]);
  const p = r.prediction;
  const prediction =
    p.source === 'lut'
      ? kv([
          ['LUT', `${p.lutId} (${p.path})`],
          ['LUT device', `${p.device.device}: ${p.device.runtime} ${p.device.runtimeVersion}, ${p.device.ep} on ${p.device.host.cpu}`],
          ['LUT options', p.device.options],
          ['LUT protocol', p.protocol],
          ['calibration', p.calibration ? `base ${ms(p.calibration.baseMs)} ms, per op ${ms(p.calibration.perOpMs)} ms, per MB ${ms(p.calibration.perByteMs * 1e6)} ms, scale ${(p.calibration.scale ?? 1).toFixed(3)}; fit RMS ${p.calibration.rmsErrorPct.toFixed(1)}% on ${p.calibration.fittedOn} nets` : 'none'],
        ])
      : kv([['source', `the front's recorded latencies: ${p.latency.id}`], ['provenance', p.latency.provenance]]);
  const f = r.front;
  const front = kv([
    ['file', f.path],
    ['space', `${f.space.id} ${JSON.stringify(f.space.options)}`],
    ['search', `${f.strategy}, seed ${f.seed}, ${f.evaluations} evaluations, created ${f.created}`],
    ['latency source', `${f.latency.id}`],
    ['accuracy', `${f.evaluator.id}`],
    ['accuracy provenance', f.evaluator.provenance],
    ['target', r.targetMs === null ? 'none' : `${r.targetMs} ms`],
    ['measurements saved in', r.statePath],
    ['report created', r.created],
  ]);
  return `<div class="prov"><div><h3>Measured on</h3>${device}</div><div><h3>Predicted by</h3>${prediction}</div><div><h3>Front</h3>${front}</div></div>`;
}

export const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:20px 24px 48px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px}h3{font-size:14px;margin:0 0 6px}
.sub{color:#555;margin:0 0 14px}
.note{background:#fff4e5;border:1px solid #f0c36d;padding:8px 12px;border-radius:6px;margin:10px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 12px}.card .k{color:#666;font-size:12px}.card .v{font-size:16px}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:14px}.chart{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px;height:430px;position:relative}
.chart.wide{grid-column:1/3}
table.data{border-collapse:collapse;width:100%;background:#fff;font-size:13px}table.data th,table.data td{border-bottom:1px solid #e4e4e4;padding:4px 8px;text-align:right;white-space:nowrap}
table.data th{background:#f0f0f0}table.data td.name{text-align:left;font-family:ui-monospace,Menlo,monospace;font-size:11px;white-space:normal;word-break:break-all;min-width:420px}
.scroll{overflow-x:auto}
.good{color:#1a7f1a}.bad{color:#c0392b}
details{margin:4px 0}summary{cursor:pointer;font-family:ui-monospace,Menlo,monospace;font-size:12px}
.prov{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:14px}
table.kv{border-collapse:collapse;background:#fff;font-size:12px;width:100%}table.kv th{text-align:left;color:#555;font-weight:normal;padding:3px 8px;vertical-align:top;white-space:nowrap}
table.kv td{padding:3px 8px;word-break:break-word}code{font-size:11px}
`;

export function renderHtmlReport(r: VerifyResult): string {
  const target = r.targetMs === null ? '' : `<th>≤${r.targetMs} ms</th>`;
  const transfer = r.transfer
    ? `<div class="note"><b>Transfer:</b> the predictions describe ${esc(r.transfer.from)}; the nets were measured on ${esc(r.transfer.to)}. The errors include the transfer error.<br><small>${r.transfer.differences.map(esc).join('<br>')}</small></div>`
    : '';
  const failures = r.members.filter((m) => m.failure);
  const blockHeight = Math.max(260, 90 + 26 * r.members.length);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hw-nas verify: ${esc(r.front.space.id)} on ${esc(r.device.device)}</title>
<style>${CSS}</style></head>
<body><main>
<h1>Verification of the Pareto front on ${esc(r.device.device)}</h1>
<p class="sub">${esc(r.front.path)} — ${esc(r.front.space.id)} ${esc(JSON.stringify(r.front.space.options))}, ${r.members.length} nets, predicted by ${
    r.prediction.source === 'lut' ? `LUT ${esc(r.prediction.lutId)}` : esc(r.prediction.latency.id)
  }, measured with ${esc(r.device.runtime)} ${esc(r.device.runtimeVersion)} (${esc(r.device.ep)}) — ${esc(r.created)}</p>
${transfer}
${summaryCards(r)}
<div class="charts">
<div class="chart"><canvas id="pareto"></canvas></div>
<div class="chart"><canvas id="agreement"></canvas></div>
<div class="chart wide" style="height:${blockHeight}px"><canvas id="blocks"></canvas></div>
</div>
<h2>Nets</h2>
<div class="scroll"><table class="data"><tr><th>#</th><th title="${esc(r.accuracyLabel)}">${esc(r.accuracyLabel.split(' (')[0])}</th><th>predicted ms</th><th>95% CI</th><th>measured ms</th><th>95% CI</th><th>runs</th><th>error</th><th>on measured front</th>${target}${METRIC_HEADERS.map((h) => `<th>${h}</th>`).join('')}<th>name</th></tr>
${r.members.map((m) => memberRow(m, r.targetMs)).join('\n')}
</table></div>
${failures.length ? `<h2>Failures</h2><ul>${failures.map((m) => `<li>#${m.index} failed to ${esc(m.failure!.stage)}: <code>${esc(m.failure!.message)}</code></li>`).join('')}</ul>` : ''}
<h2>Per-net block breakdown (predicted)</h2>
${blockTables(r) || '<p>The predictions are the front’s recorded latencies, which have no per-block breakdown.</p>'}
<h2>Provenance</h2>
${provenance(r)}
</main>
<script type="application/json" id="verify-data">${JSON.stringify(r).replace(/</g, '\\u003c')}</script>
<script>${scriptSafe(chartJsSource())}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body></html>
`;
}
