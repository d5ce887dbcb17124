/**
 * The design-space report's own script: reads the analysis (embedded as JSON) and draws the EDF curves
 * and the bootstrap intervals with chart.js, the same way the verify report does (src/report/page-script.ts):
 * plain ES2017 text, no bundler helpers, charts reachable as Chart.getChart('<canvas id>').
 */
export const DESIGNSPACE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('designspace-data').textContent);
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e'];
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
  Chart.defaults.font.size = 12;

  function fmt(v) { var a = Math.abs(v); return a >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(3) : v.toFixed(4); }
  function title(text) { return { display: true, text: text, font: { size: 15, weight: 'bold' } }; }
  function axis(text, extra) { var a = { title: { display: true, text: text } }; for (var k in extra || {}) a[k] = extra[k]; return a; }
  // An EDF as chart.js draws a step function: from (min, 0), then one step per point.
  function steps(curve) { return curve.length ? [{ x: curve[0].x, y: 0 }].concat(curve) : []; }
  function edfLine(label, curve, color, dashed) {
    return { label: label, data: steps(curve), stepped: 'after', borderColor: color, backgroundColor: color, borderWidth: 2, borderDash: dashed ? [6, 4] : [], pointRadius: 0, pointStyle: 'line' };
  }
  function edfChart(id, heading, xLabel, datasets, extraX) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: 'line',
      data: { datasets: datasets },
      options: {
        plugins: { title: title(heading), legend: { position: 'bottom', labels: { usePointStyle: true } },
          tooltip: { mode: 'nearest', intersect: false, callbacks: { label: function (ctx) { return ctx.dataset.label + ': F(' + fmt(ctx.parsed.x) + ') = ' + ctx.parsed.y.toFixed(3); } } } },
        scales: { x: axis(xLabel, Object.assign({ type: 'linear' }, extraX || {})), y: axis('cumulative prob.', { min: 0, max: 1 }) }
      }
    });
  }
  function vline(label, x, color) { return { label: label, data: [{ x: x, y: 0 }, { x: x, y: 1 }], borderColor: color, borderDash: [2, 3], borderWidth: 2, pointRadius: 0, pointStyle: 'line' }; }

  var name = data.space.id;
  var error = [edfLine(name + ' (n=' + data.summary.n + ')', data.edf.error, COLORS[0], false)];
  if (data.compare) error.push(edfLine(data.compare.sides[1].space + ' (n=' + data.compare.sides[1].n + ')', data.compare.sides[1].edf, COLORS[1], false));
  edfChart('error-edf', 'Error EDF' + (data.compare ? ' (raw)' : ''), data.errorLabel, error);

  if (data.compare) {
    var c = data.compare;
    edfChart('compare-edf', 'Error EDF normalized for ' + (c.by === 'latency' ? 'latency' : 'MACs') + ' (KS ' + c.ks.normalized.toFixed(3) + ')', data.errorLabel,
      c.sides.map(function (s, i) { return edfLine(s.space + ' normalized', s.normalizedEdf, COLORS[i], false); })
        .concat(c.sides.map(function (s, i) { return edfLine(s.space + ' raw', s.edf, COLORS[i], true); })));
  }

  edfChart('macs-edf', 'MACs EDF', 'MACs', [edfLine(name, data.edf.macs, COLORS[0], false)], { type: 'logarithmic' });

  if (data.edf.latency) {
    var lat = [edfLine(name + ' on ' + data.lut.id, data.edf.latency, COLORS[0], false)];
    if (data.budgetMs !== null) lat.push(vline('budget ' + data.budgetMs + ' ms', data.budgetMs, '#555555'));
    edfChart('latency-edf', 'Predicted latency EDF (' + data.lut.device + ')', 'predicted latency (ms)', lat);
  }
  if (data.edf.underBudget) {
    edfChart('budget-edf', 'Error EDF within ' + data.budgetMs + ' ms (' + data.edf.underBudget.n + ' of ' + data.summary.n + ' models)', data.errorLabel, [
      edfLine('all models', data.edf.error, COLORS[0], true),
      edfLine('within ' + data.budgetMs + ' ms', data.edf.underBudget.error, COLORS[2], false)
    ]);
  }

  if (data.bootstrap) {
    data.bootstrap.intervals.forEach(function (b) {
      var canvas = document.getElementById('bootstrap-' + b.param);
      if (!canvas) return;
      var pad = (b.max - b.min) * 0.05 || 1;
      new Chart(canvas, {
        type: 'bar',
        data: { labels: [b.param], datasets: [
          { label: Math.round(data.bootstrap.level * 100) + '% interval', data: [[b.lo, b.hi]], backgroundColor: 'rgba(31,119,180,0.35)', borderColor: COLORS[0], borderWidth: 1, barPercentage: 0.5, minBarLength: 3 },
          { label: 'median', type: 'line', showLine: false, data: [b.median], pointStyle: 'rectRot', pointRadius: 7, backgroundColor: COLORS[1], borderColor: '#ffffff' },
          { label: 'best model', type: 'line', showLine: false, data: [b.best], pointStyle: 'star', pointRadius: 9, borderColor: COLORS[2], borderWidth: 2 }
        ] },
        options: {
          indexAxis: 'y',
          plugins: { title: title(b.param + ': ' + fmt(b.lo) + ' to ' + fmt(b.hi) + ' (median ' + fmt(b.median) + ')'), legend: { position: 'bottom', labels: { usePointStyle: true } },
            tooltip: { callbacks: { label: function (ctx) { var v = ctx.raw; return ctx.dataset.label + ': ' + (Array.isArray(v) ? fmt(v[0]) + ' to ' + fmt(v[1]) : fmt(v)); } } } },
          scales: { x: axis(b.param + ' (range sampled: ' + fmt(b.min) + ' to ' + fmt(b.max) + ')', { min: b.min - pad, max: b.max + pad }), y: { display: false } }
        }
      });
    });
  }
})();
`;
