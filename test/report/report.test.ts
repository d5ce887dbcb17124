/** The HTML and CSV renderings of a verification (the browser check of the HTML is in test/cli/verify.e2e.test.ts). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockDevice } from '../../devices/mock/index.js';
import { formatCount } from '../../src/core/format.js';
import { verifyCsv } from '../../src/report/csv.js';
import { renderHtmlReport } from '../../src/report/html.js';
import type { VerifyResult } from '../../src/verify/types.js';
import { verifyFront } from '../../src/verify/verify.js';
import { mockFront, mockLut } from '../verify/fixtures.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let result: VerifyResult;
beforeAll(async () => {
  const lut = await mockLut(path.join(dir, 'mock.lut.json'));
  const { file } = await mockFront(lut, 'front.json', 4, { targetMs: 1e9 });
  result = await verifyFront({ frontPath: file, device: new MockDevice() });
  // A member whose name and failure need escaping in both formats.
  result.members[3] = { ...result.members[3], name: 'odd "name", with </script><b>', measured: null, errorPct: null, onMeasuredFront: false, withinTarget: null, failure: { stage: 'run', message: 'line one,\nline "two"' } };
});

describe('CSV', () => {
  it('has a header and one row per net, quoting what needs it', () => {
    const rows = verifyCsv(result).split('\r\n');
    expect(rows[0]).toBe('index,name,accuracy,predicted_ms,predicted_ci95_low,predicted_ci95_high,measured_ms,measured_ci95_low,measured_ci95_high,measured_n,error_pct,on_measured_front,within_target,status,failure');
    const m = result.members[0];
    expect(rows[1].split(',')).toEqual([
      '1',
      m.name.includes(',') ? expect.any(String) : m.name,
      String(m.accuracy),
      String(m.predicted.ms),
      String(m.predicted.ci95![0]),
      String(m.predicted.ci95![1]),
      String(m.measured!.median),
      String(m.measured!.ci95[0]),
      String(m.measured!.ci95[1]),
      String(m.measured!.n),
      String(m.errorPct),
      String(m.onMeasuredFront),
      'true',
      'ok',
      '',
    ]);
    expect(verifyCsv(result)).toContain('4,"odd ""name"", with </script><b>",83,');
    expect(verifyCsv(result)).toContain(',,failed-run,"line one,\nline ""two"""\r\n');
  });
});

describe('HTML report', () => {
  const html = () => renderHtmlReport(result);

  it('is one self-contained file: chart.js inlined, nothing loaded from elsewhere', () => {
    const page = html();
    const chartjs = readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js'), 'utf8');
    expect(page).toContain(chartjs.slice(0, 2000));
    expect(page).not.toMatch(/sourceMappingURL/);
    expect(page).not.toMatch(/<(script|link|img|iframe)[^>]+(src|href)=/i);
  });

  it('embeds the data so that no name can close the script element, and escapes names in the tables', () => {
    const page = html();
    const json = /<script type="application\/json" id="verify-data">([^]*?)<\/script>/.exec(page)![1];
    expect(JSON.parse(json).members[3].name).toBe('odd "name", with </script><b>');
    expect(page).toContain('odd &#34;name&#34;, with &#60;/script&#62;&#60;b&#62;');
    expect(page).toContain('failed to run: <code>line one,\nline &#34;two&#34;</code>');
  });

  it('gives every net its MACs, parameters and activations, as verify\'s JSON has them', () => {
    const page = html();
    expect(page).toMatch(/<th>on measured front<\/th><th>≤[^<]+<\/th><th>MACs<\/th><th>params<\/th><th>activations<\/th><th>name<\/th>/);
    for (const m of result.members) {
      const [macs, params, activations] = [m.metrics.macs, m.metrics.params, m.metrics.activations].map(formatCount);
      expect(m.metrics.macs).toBeGreaterThan(0);
      expect(page).toContain(`<td>${macs}</td><td>${params}</td><td>${activations}</td><td class="name">`);
    }
  });

  it('shows the provenance: device, LUT, front and protocol', () => {
    const page = html();
    expect(page).toContain(`LUT ${result.prediction.source === 'lut' ? result.prediction.lutId : ''}`);
    expect(page).toMatch(/Measured on[^]*mock 1[^]*Predicted by[^]*Front[^]*measurements saved in/);
    expect(page).toMatch(/<canvas id="pareto">[^]*<canvas id="agreement">[^]*<canvas id="blocks">/);
  });
});
