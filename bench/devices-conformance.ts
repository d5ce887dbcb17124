/**
 * ONNX's own operator conformance cases (Debian's libonnx-testdata) for the op types our exporter
 * emits, run on every ONNX device available here: ort-cpu, wasm, webgpu-native, and with --browser the
 * browser devices that run ONNX in headless Chromium (browser-wasm, webgpu with the JSEP bundle and with
 * bundle=webgpu). Prints a markdown table of passed / failed / skipped per device and every non-pass with
 * its reason. Asserts nothing (test/devices/conformance.test.ts does).
 *
 *   node --import tsx bench/devices-conformance.ts [--filter REGEX] [--browser]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { atOpset, loadCases, EXPORTED_OP_TYPES } from '../devices/conformance/cases.js';
import { OPSET } from '../export/onnx/graph.js';
import { CPU_TOLERANCE, GPU_TOLERANCE, type Tolerance } from '../devices/conformance/compare.js';
import { ortCpuRunner } from '../devices/conformance/ort-runner.js';
import { runConformance, type ConformanceReport, type ConformanceRunner } from '../devices/conformance/runner.js';
import { OrtWasmDevice } from '../devices/ort-wasm/index.js';
import { OrtWebGpuDevice, ortWebGpuFactory } from '../devices/ort-webgpu-native/index.js';
import type { BrowserDevice } from '../devices/browser/browser-device.js';
import { browserWasmFactory, webgpuFactory } from '../devices/browser/index.js';

const { values } = parseArgs({ options: { filter: { type: 'string' }, browser: { type: 'boolean' } } });
const cases = await loadCases({ filter: values.filter ? new RegExp(values.filter) : undefined });
console.log(`${cases.length} cases use only ${EXPORTED_OP_TYPES.join(', ')}\n`);

const devices: { name: string; runner: () => Promise<ConformanceRunner>; tolerance: Tolerance; note: string }[] = [
  { name: 'ort-cpu', runner: () => ortCpuRunner(), tolerance: CPU_TOLERANCE, note: 'threads=1' },
  { name: 'wasm', runner: async () => { const d = new OrtWasmDevice({ threads: 1 }); await d.init(); return d.conformanceRunner(); }, tolerance: CPU_TOLERANCE, note: 'threads=1' },
];
const webgpu = await ortWebGpuFactory.available();
if (webgpu === true) {
  const d = new OrtWebGpuDevice();
  const info = await d.init();
  devices.push({ name: 'webgpu-native', runner: async () => d.conformanceRunner(), tolerance: GPU_TOLERANCE, note: `${info.adapter?.architecture} adapter, CPU fallback off` });
} else console.log(`webgpu-native not available: ${webgpu}\n`);
const opened: BrowserDevice[] = [];
if (values.browser) {
  const pages = [
    { name: 'browser-wasm', factory: browserWasmFactory, options: {}, tolerance: CPU_TOLERANCE, note: 'headless Chromium' },
    { name: 'webgpu', factory: webgpuFactory, options: { preferredLayout: 'NCHW' }, tolerance: GPU_TOLERANCE, note: 'headless Chromium, bundle=all (JSEP)' },
    { name: 'webgpu bundle=webgpu', factory: webgpuFactory, options: { preferredLayout: 'NCHW', bundle: 'webgpu' }, tolerance: GPU_TOLERANCE, note: 'headless Chromium, native WebGPU EP' },
  ];
  for (const p of pages) {
    const why = await p.factory.available();
    if (why !== true) {
      console.log(`${p.name} not available: ${why}\n`);
      continue;
    }
    const d = p.factory.create(p.options) as BrowserDevice;
    opened.push(d);
    const info = await d.init();
    devices.push({ name: p.name, runner: async () => d.conformanceRunner(), tolerance: p.tolerance, note: info.adapter ? `${p.note}, ${info.adapter.architecture} adapter` : p.note });
  }
}

const reports: { report: ConformanceReport; seconds: number; note: string }[] = [];
for (const d of devices) {
  const t0 = performance.now();
  const report = await runConformance(d.name, await d.runner(), cases, d.tolerance);
  // A case the device refused whose op has the same definition at the exporter's opset runs again restamped (cases.ts atOpset).
  const restamped = report.results.flatMap((x) => (x.status === 'skipped' && !/is not a tensor/.test(x.reason ?? '') ? (atOpset(cases.find((c) => c.name === x.name)!, OPSET) ?? []) : []));
  const again = restamped.length ? await runConformance(d.name, await d.runner(), restamped, d.tolerance) : undefined;
  reports.push({ report, seconds: (performance.now() - t0) / 1000, note: d.note + (again ? `; of its skipped cases, ${again.passed} of ${restamped.length} pass restamped at opset ${OPSET}` : '') });
  for (const x of again?.results.filter((x) => x.status !== 'passed') ?? []) console.log(`${d.name}: restamped ${x.name} ${x.status}: ${x.reason}`);
}
for (const d of opened) await d.dispose();

console.log('| device | passed | failed | skipped | rtol / atol | time | notes |');
console.log('|---|---|---|---|---|---|---|');
for (const { report: r, seconds, note } of reports)
  console.log(`| ${r.device} | ${r.passed} | ${r.failed} | ${r.skipped} | ${r.tolerance.rtol} / ${r.tolerance.atol} | ${seconds.toFixed(1)} s | ${note} |`);
for (const { report: r } of reports) {
  const others = r.results.filter((x) => x.status !== 'passed');
  if (!others.length) continue;
  console.log(`\n${r.device}:`);
  for (const x of others) console.log(`- ${x.status} ${x.name} (${x.opTypes.join(', ')}): ${x.reason}`);
}
