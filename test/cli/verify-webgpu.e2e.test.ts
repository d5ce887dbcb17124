/**
 * nas verify on the headline device: a front's members measured end to end by onnxruntime-web's WebGPU EP
 * in headless Chromium (SwiftShader here), with the report. The front comes from a mock LUT, so this is a
 * transfer check (mock predictions, WebGPU measurements): what is tested is that verify drives the browser
 * device, not how fast software WebGPU is. Needs Chromium (CI installs it: apt-get install chromium).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuFactory } from '../../devices/browser/index.js';
import { openReport } from '../report/open-report.js';
import { runCli } from './helpers.js';

const available = await webgpuFactory.available();
if (available !== true) console.warn(`nas verify --device webgpu: skipped, the webgpu device does not run here: ${available}`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-verify-webgpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FAST = ['--warmup', '2', '--min-repeats', '3', '--max-repeats', '20', '--max-time-ms', '400'];
const lut = path.join(dir, 'mock.lut.json');
const front = path.join(dir, 'front.json');

function ok(args: string[]) {
  const r = runCli(args, { timeoutMs: 240_000 });
  if (r.code !== 0) throw new Error(`nas ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r;
}

describe.skipIf(available !== true)('nas verify --device webgpu', () => {
  beforeAll(() => {
    // One round per model (the default is 3, and up to 2 more when they disagree): verify measures with the LUT's
    // protocol, and on SwiftShader every round is a fresh session whose shaders compile again. Rounds are the
    // same code on every device (devices/rounds.ts, test/devices/rounds.test.ts); this file checks the browser.
    ok(['profile', '--device', 'mock', '--space', 'mbv2', '--resolution', '32', '--calibrate', '0', '--rounds', '1', '--out', lut, ...FAST]);
    ok(['search', '--space', 'mbv2', '--resolution', '32', '--lut', lut, '--evaluator', 'proxy', '--strategy', 'random', '--budget', '2', '--out', front]);
  });

  it('measures every member in Chromium, flags the software adapter and the transfer, and writes a report', { timeout: 240_000 }, async () => {
    const report = path.join(dir, 'report.html');
    const r = ok(['verify', '--front', front, '--device', 'webgpu', '--report', report, '--json', ...FAST]);
    const doc = JSON.parse(r.stdout);
    const n = JSON.parse(readFileSync(front, 'utf8')).members.length;
    expect(doc.summary).toMatchObject({ measured: n, failed: 0 });
    expect(doc.device).toMatchObject({ device: 'webgpu', runtime: 'onnxruntime-web', ep: 'webgpu' });
    expect(doc.transfer).not.toBeNull();
    for (const m of doc.members) expect(m.measured.median).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/fallback \(software\) adapter/);
    const page = await openReport(report, []);
    expect(page.errors).toEqual([]);
    expect(page.charts.pareto!.find((d) => /^measured/.test(d.label))!.points).toBe(n);
  });
});
