/**
 * The design-space analysis as one self-contained HTML file, built like the verify report
 * (src/report/html.ts): chart.js and the data inlined, nothing fetched; tables readable without
 * JavaScript, the page script (page-script.ts) draws the EDFs and the bootstrap intervals.
 */
import { chartJsSource } from '../report/chartjs.js';
import { CSS, esc, scriptSafe } from '../report/html.js';
import { DESIGNSPACE_SCRIPT } from './page-script.js';
import type { DesignSpaceDoc } from './types.js';

const num = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : Number(v.toPrecision(digits)).toString());

function cards(d: DesignSpaceDoc): string {
  const s = d.summary;
  const items: [string, string][] = [
    ['models', `${s.n} of ${esc(d.space.id)}@${d.space.resolution}`],
    ['lowest / median error', `${num(s.minError)} / ${num(s.medianError)}`],
    ['evaluator', esc(d.evaluator.id)],
  ];
  if (d.lut) items.push(['fastest (predicted)', `${num(s.minLatencyMs)} ms on ${esc(d.lut.id)}`]);
  if (d.edf.underBudget) items.push([`within ${d.budgetMs} ms`, `${d.edf.underBudget.n} of ${s.n} models`]);
  if (d.compare) items.push([`KS distance vs ${esc(d.compare.sides[1].space)}`, `${d.compare.ks.raw.toFixed(3)} raw, ${d.compare.ks.normalized.toFixed(3)} normalized (${d.compare.by})`]);
  return `<div class="cards">${items.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${v}</div></div>`).join('')}</div>`;
}

function bootstrapTable(d: DesignSpaceDoc): string {
  const b = d.bootstrap;
  if (!b) return '';
  const rows = b.intervals.map((i) => `<tr><td>${esc(i.param)}</td><td>${num(i.lo)}</td><td>${num(i.median)}</td><td>${num(i.hi)}</td><td>${num(i.best)}</td><td>${num(i.min)}–${num(i.max)}</td></tr>`).join('');
  return `<h2>Best parameter ranges (empirical bootstrap)</h2>
<p class="sub">${b.resamples} draws of ${b.sampleSize} models with replacement; in each the lowest-error model's value is kept; ${Math.round(b.level * 100)}% interval of the kept values (seed ${b.seed}).</p>
<table class="data"><tr><th>parameter</th><th>low</th><th>median</th><th>high</th><th>best model</th><th>sampled range</th></tr>${rows}</table>
<div class="charts">${b.intervals.map((i) => `<div class="chart" style="height:170px"><canvas id="bootstrap-${esc(i.param)}"></canvas></div>`).join('')}</div>`;
}

function compareTable(d: DesignSpaceDoc): string {
  const c = d.compare;
  if (!c) return '';
  const rows = c.sides
    .map((s) => `<tr><td>${esc(s.space)}</td><td>${s.n}</td><td>${s.dropped}</td><td>${num(s.normalizedMeanError)}</td><td>${num(s.normalizedQuantiles.q10)}</td><td>${num(s.normalizedQuantiles.q50)}</td></tr>`)
    .join('');
  return `<h2>Comparison with ${esc(c.other)}</h2>
<p class="sub">Normalized for ${c.by === 'latency' ? 'predicted latency' : 'MACs'}: ${c.usedBins} of ${c.edges.length - 1} log-spaced bins from ${num(c.edges[0])} to ${num(c.edges[c.edges.length - 1])} hold models of both spaces; each such bin gets the same total weight in each. Kolmogorov–Smirnov distance ${c.ks.raw.toFixed(3)} raw, ${c.ks.normalized.toFixed(3)} normalized.</p>
<table class="data"><tr><th>space</th><th>models</th><th>outside shared bins</th><th>mean error (normalized)</th><th>10% quantile</th><th>median</th></tr>${rows}</table>`;
}

function modelTable(d: DesignSpaceDoc): string {
  const top = [...d.models].sort((a, b) => a.error - b.error).slice(0, 20);
  const params = Object.keys(d.models[0]?.params ?? {});
  const rows = top
    .map((m, i) => `<tr><td>${i + 1}</td><td>${num(m.error)}</td><td>${num(m.macs / 1e6)}</td>${d.lut ? `<td>${num(m.latencyMs)}</td>` : ''}${params.map((p) => `<td>${num(m.params[p])}</td>`).join('')}<td class="name">${esc(m.name)}</td></tr>`)
    .join('');
  return `<h2>Lowest-error models</h2><div class="scroll"><table class="data"><tr><th>#</th><th>error</th><th>MMACs</th>${d.lut ? '<th>ms</th>' : ''}${params.map((p) => `<th>${esc(p)}</th>`).join('')}<th>name</th></tr>${rows}</table></div>`;
}

export function renderDesignSpaceReport(d: DesignSpaceDoc): string {
  const charts = [
    '<div class="chart"><canvas id="error-edf"></canvas></div>',
    d.compare ? '<div class="chart"><canvas id="compare-edf"></canvas></div>' : '',
    d.edf.latency ? '<div class="chart"><canvas id="latency-edf"></canvas></div>' : '',
    d.edf.underBudget ? '<div class="chart"><canvas id="budget-edf"></canvas></div>' : '',
    '<div class="chart"><canvas id="macs-edf"></canvas></div>',
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hw-nas design space: ${esc(d.space.id)}</title>
<style>${CSS}</style></head>
<body><main>
<h1>Design space ${esc(d.space.id)}@${d.space.resolution}: ${d.summary.n} sampled models</h1>
<p class="sub">seed ${d.selection.seed}, scored by ${esc(d.evaluator.id)} (${esc(d.errorLabel)})${d.lut ? `, latency predicted on LUT ${esc(d.lut.id)} (${esc(d.lut.device)})` : ''} — ${esc(d.created)}</p>
${cards(d)}
<p class="sub">EDF: F(e) is the fraction of models with error below e; a curve further left/up is a better population.</p>
<div class="charts">
${charts}
</div>
${compareTable(d)}
${bootstrapTable(d)}
${modelTable(d)}
</main>
<script type="application/json" id="designspace-data">${JSON.stringify(d).replace(/</g, '\\u003c')}</script>
<script>${scriptSafe(chartJsSource())}</script>
<script>${scriptSafe(DESIGNSPACE_SCRIPT)}</script>
</body></html>
`;
}
