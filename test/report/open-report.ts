/**
 * Opens a report in headless Chromium (Debian's /usr/bin/chromium through playwright-core) and reads
 * back what chart.js drew, every console error and every request the page made.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export interface OpenedReport {
  /** Per canvas id: each dataset's label and number of data points. */
  charts: Record<string, { label: string; points: number }[] | null>;
  errors: string[];
  requests: string[];
}

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

/** The verify report's charts (other reports pass their own canvas ids). */
const VERIFY_CHARTS = ['pareto', 'agreement', 'blocks'];

/** `screenshots`: files to save, the whole page or (fullPage false) the first 1280×1100 pixels. */
export async function openReport(file: string, screenshots: { path: string; fullPage: boolean }[], chartIds: readonly string[] = VERIFY_CHARTS): Promise<OpenedReport> {
  const userData = mkdtempSync(path.join(os.tmpdir(), 'nas-report-browser-'));
  const context = await chromium.launchPersistentContext(userData, { executablePath: '/usr/bin/chromium', headless: true, args: ARGS, viewport: { width: 1280, height: 1100 } });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const charts = await page.evaluate((ids) => {
      const out: Record<string, { label: string; points: number }[] | null> = {};
      for (const id of ids) {
        const chart = (window as unknown as { Chart: { getChart(id: string): { data: { datasets: { label?: string; data: unknown[] }[] } } | undefined } }).Chart.getChart(id);
        out[id] = chart ? chart.data.datasets.map((d) => ({ label: d.label ?? '', points: d.data.length })) : null;
      }
      return out;
    }, [...chartIds]);
    for (const shot of screenshots) await page.screenshot(shot);
    return { charts, errors, requests };
  } finally {
    await context.close();
    rmSync(userData, { recursive: true, force: true });
  }
}
