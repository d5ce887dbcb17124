/**
 * The report page's own script: it reads the verification (embedded as JSON) and draws the three
 * charts with chart.js. Kept as plain ES2017 text rather than compiled TypeScript so the page runs the
 * exact code shown here, with no bundler helpers. Charts are reachable as Chart.getChart('<canvas id>').
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('verify-data').textContent);
  var members = data.members;
  var measured = members.filter(function (m) { return m.measured !== null; });
  var C = { predicted: '#1f77b4', measured: '#d62728', target: '#555555', link: 'rgba(120,120,120,0.5)', within: '#2ca02c', outside: '#ff7f0e' };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
  Chart.defaults.font.size = 12;

  function short(name) { return name.length > 72 ? name.slice(0, 69) + '...' : name; }
  function fmt(v) { var a = Math.abs(v); return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(3) : v.toFixed(4); }
  function byX(a, b) { return a.x - b.x; }
  function describe(m) {
    var lines = ['#' + m.index + ' ' + short(m.name), data.accuracyLabel + ': ' + m.accuracy.toFixed(3),
      'predicted ' + fmt(m.predicted.ms) + ' ms' + (m.predicted.ci95 ? ' (95% CI ' + fmt(m.predicted.ci95[0]) + '-' + fmt(m.predicted.ci95[1]) + ')' : '')];
    if (m.measured) lines.push('measured ' + fmt(m.measured.median) + ' ms (95% CI ' + fmt(m.measured.ci95[0]) + '-' + fmt(m.measured.ci95[1]) + '), error ' + (m.errorPct >= 0 ? '+' : '') + m.errorPct.toFixed(1) + '%');
    else if (m.failure) lines.push('failed to ' + m.failure.stage);
    return lines;
  }
  function memberLabel(ctx) { return ctx.raw && ctx.raw.member ? describe(ctx.raw.member) : ctx.dataset.label; }
  function noTitle() { return ''; }
  // Non-dominated points (max y, min x), fastest first: the staircase a front draws.
  function staircase(points) {
    var sorted = points.slice().sort(function (a, b) { return a.x - b.x || b.y - a.y; });
    var out = [];
    var best = -Infinity;
    sorted.forEach(function (p) { if (p.y > best) { out.push(p); best = p.y; } });
    return out;
  }
  // The next 1, 2, 2.5 or 5 times a power of ten: an axis end the ticks land on.
  function niceCeil(v) {
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }
  function title(text) { return { display: true, text: text, font: { size: 15, weight: 'bold' } }; }
  function axis(text, extra) { var a = { title: { display: true, text: text } }; for (var k in extra || {}) a[k] = extra[k]; return a; }

  // 1. Accuracy vs latency, predicted and measured.
  var accs = members.map(function (m) { return m.accuracy; });
  var accMin = Math.min.apply(null, accs);
  var accMax = Math.max.apply(null, accs);
  var pad = (accMax - accMin) * 0.08 || 1;
  var predicted = members.map(function (m) { return { x: m.predicted.ms, y: m.accuracy, member: m }; });
  var measuredPts = measured.map(function (m) { return { x: m.measured.median, y: m.accuracy, member: m }; });
  var links = [];
  measured.forEach(function (m) { links.push({ x: m.predicted.ms, y: m.accuracy }, { x: m.measured.median, y: m.accuracy }, { x: NaN, y: NaN }); });
  var isBest = function (p) { return p.member.name === data.summary.bestMeasured; };
  var pareto = [
    { label: 'predicted', type: 'scatter', data: predicted, backgroundColor: C.predicted, borderColor: C.predicted, pointRadius: 5, order: 1 },
    { label: 'measured (hollow: dropped off the front, star: best)', type: 'scatter', data: measuredPts, borderColor: C.measured, borderWidth: 1.5, order: 0,
      backgroundColor: measuredPts.map(function (p) { return p.member.onMeasuredFront ? C.measured : '#ffffff'; }),
      pointStyle: measuredPts.map(function (p) { return isBest(p) ? 'star' : 'triangle'; }),
      pointRadius: measuredPts.map(function (p) { return isBest(p) ? 10 : 6; }) },
    { label: 'predicted front', type: 'line', data: staircase(predicted), stepped: 'after', borderColor: C.predicted, borderWidth: 1.5, pointRadius: 0, pointStyle: 'line', order: 2 },
    { label: 'measured front', type: 'line', data: measuredPts.filter(function (p) { return p.member.onMeasuredFront; }).sort(byX), stepped: 'after', borderColor: C.measured, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, pointStyle: 'line', order: 2 },
    { label: 'predicted to measured', type: 'line', data: links, borderColor: C.link, borderWidth: 1, pointRadius: 0, pointStyle: 'line', spanGaps: false, order: 3 }
  ];
  if (data.targetMs !== null)
    pareto.push({ label: 'target ' + data.targetMs + ' ms', type: 'line', data: [{ x: data.targetMs, y: accMin - pad }, { x: data.targetMs, y: accMax + pad }], borderColor: C.target, borderDash: [2, 3], borderWidth: 2, pointRadius: 0, pointStyle: 'line', order: 4 });
  new Chart(document.getElementById('pareto'), {
    type: 'scatter',
    data: { datasets: pareto },
    options: {
      plugins: { title: title('Accuracy vs latency: predicted and measured on ' + data.device.device), legend: { position: 'bottom', labels: { usePointStyle: true, boxHeight: 7 } },
        tooltip: { filter: function (ctx) { return !!(ctx.raw && ctx.raw.member); }, callbacks: { title: noTitle, label: memberLabel } } },
      scales: { x: axis('latency (ms)'), y: axis(data.accuracyLabel, { suggestedMin: accMin - pad, suggestedMax: accMax + pad }) }
    }
  });

  // 2. Predicted vs measured, with y = x and the +-10% band.
  var agreementCanvas = document.getElementById('agreement');
  if (measured.length === 0) {
    agreementCanvas.parentNode.textContent = 'No net was measured.';
  } else {
    var values = [];
    measured.forEach(function (m) { values.push(m.measured.median, m.predicted.ms); });
    var lo = 0;
    var hi = niceCeil(Math.max.apply(null, values) * 1.08);
    var line = function (f) { return [{ x: lo, y: f * lo }, { x: hi, y: f * hi }]; };
    new Chart(agreementCanvas, {
      type: 'scatter',
      data: { datasets: [
        { label: 'nets (green: within 10%)', type: 'scatter', data: measured.map(function (m) { return { x: m.measured.median, y: m.predicted.ms, member: m }; }),
          backgroundColor: measured.map(function (m) { return Math.abs(m.errorPct) <= 10 ? C.within : C.outside; }), pointRadius: 6, order: 0 },
        { label: 'y = x', type: 'line', data: line(1), borderColor: '#333333', borderWidth: 1, pointRadius: 0, pointStyle: 'line', order: 1 },
        { label: '+10%', type: 'line', data: line(1.1), borderColor: 'rgba(44,160,44,0.6)', borderWidth: 1, pointRadius: 0, pointStyle: 'line', fill: false, order: 2 },
        { label: '+-10% band', type: 'line', data: line(0.9), borderColor: 'rgba(44,160,44,0.6)', backgroundColor: 'rgba(44,160,44,0.12)', borderWidth: 1, pointRadius: 0, pointStyle: 'line', fill: '-1', order: 2 }
      ] },
      options: {
        plugins: { title: title('Predicted vs measured latency'), legend: { position: 'bottom', labels: { usePointStyle: true, boxHeight: 7, filter: function (item) { return item.text !== '+10%'; } } },
          tooltip: { filter: function (ctx) { return !!(ctx.raw && ctx.raw.member); }, callbacks: { title: noTitle, label: memberLabel } } },
        scales: { x: axis('measured latency (ms)', { min: lo, max: hi }), y: axis('predicted latency (ms)', { min: lo, max: hi }) }
      }
    });
  }

  // 3. Predicted latency by block, stacked, with the measured latency marked.
  var blocksCanvas = document.getElementById('blocks');
  var roles = {};
  members.forEach(function (m) { m.predicted.blocks.forEach(function (b) { roles[b.layerIndex] = b.role; }); });
  var layers = Object.keys(roles).map(Number).sort(function (a, b) { return a - b; });
  if (layers.length === 0) {
    blocksCanvas.parentNode.textContent = 'The predictions are the front\'s recorded latencies, which have no per-block breakdown.';
  } else {
    var nBlocks = layers.filter(function (l) { return roles[l] === 'block'; }).length;
    var seen = {};
    var k = 0;
    var bars = [{ label: 'per-network base', detail: 'per-network base', data: members.map(function (m) { return m.predicted.baseMs || 0; }), backgroundColor: '#c7c7c7', stack: 'predicted', legend: true }];
    layers.forEach(function (l) {
      var role = roles[l];
      var color = role === 'stem' ? '#8c564b' : role === 'head' ? '#3b3b3b' : 'hsl(' + Math.round(190 + 150 * (k++ / Math.max(1, nBlocks - 1))) + ',62%,55%)';
      var first = !seen[role];
      seen[role] = true;
      bars.push({ label: role === 'block' ? 'blocks (one segment per layer)' : role, detail: role + ' layer ' + l, legend: first, backgroundColor: color, stack: 'predicted',
        data: members.map(function (m) { return m.predicted.blocks.filter(function (b) { return b.layerIndex === l; }).reduce(function (s, b) { return s + b.ms; }, 0); }) });
    });
    var anyNegative = bars.some(function (b) { return b.data.some(function (v) { return v < 0; }); });
    // order -1: drawn over the bars; a filled diamond with a white edge stays visible on any segment.
    bars.push({ label: 'measured', detail: 'measured', legend: true, type: 'line', indexAxis: 'y', showLine: false, stack: 'measured', order: -1, pointStyle: 'rectRot', pointRadius: 7, borderWidth: 1.5, borderColor: '#ffffff', backgroundColor: C.measured,
      data: members.map(function (m) { return m.measured ? m.measured.median : null; }) });
    new Chart(blocksCanvas, {
      type: 'bar',
      data: { labels: members.map(function (m) { return '#' + m.index; }), datasets: bars },
      options: {
        indexAxis: 'y',
        plugins: { title: title('Predicted latency by block (stacked) and measured latency'),
          subtitle: { display: anyNegative, text: 'a calibrated LUT subtracts the per-op and per-byte costs only one-op models pay, so small layers can count below zero (left of 0)' },
          legend: { position: 'bottom', labels: { filter: function (item, chart) { return !!chart.datasets[item.datasetIndex].legend; } } },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.detail + ': ' + fmt(ctx.parsed.x) + ' ms'; } } } },
        scales: { x: axis('latency (ms)', { stacked: true }), y: axis('front member (fastest first)', { stacked: true }) }
      }
    });
  }
})();
`;
