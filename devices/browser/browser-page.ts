/**
 * One browser, one page server and one bench page, started together and torn down together. A browser
 * device holds one BrowserPage for its lifetime and calls the page's window.hwnas API through it.
 *
 * The browser can die under us (crash, OOM killer, a user closing it): `alive` turns false, the call in
 * flight fails with a message saying so, and the device starts a fresh BrowserPage on its next call.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot } from '../../src/core/paths.js';
import { launchBrowser, type LaunchOptions, type LaunchedBrowser } from './launcher.js';
import { PageServer } from './server.js';

/** The folder of page assets (plain JS, served as is), found from source and from dist/ alike. */
export function pageDir(): string {
  return path.join(projectRoot(), 'devices', 'browser', 'page');
}

export interface BrowserPageOptions {
  launch: LaunchOptions;
  /** Static folders the page loads runtimes from, by URL prefix (the page itself is always at /page/). */
  mounts: Record<string, string>;
  /** Page server port (default: a free one). */
  port?: number;
}

/** Time allowed for the bench page itself to load (runtimes load later, with their own errors). */
const PAGE_LOAD_MS = 30_000;

export class BrowserPage {
  private constructor(
    readonly server: PageServer,
    readonly browser: LaunchedBrowser,
    readonly page: Page,
    private crashed: { value: boolean },
  ) {}

  static async start(o: BrowserPageOptions): Promise<BrowserPage> {
    const server = await new PageServer({ mounts: { '/page/': pageDir(), ...o.mounts }, port: o.port }).start();
    let browser: LaunchedBrowser | undefined;
    try {
      browser = await launchBrowser(o.launch);
      const page = browser.context.pages()[0] ?? (await browser.context.newPage());
      const crashed = { value: false };
      page.on('crash', () => {
        crashed.value = true;
      });
      await page.goto(`${server.origin}/page/bench.html`, { timeout: PAGE_LOAD_MS });
      await page.waitForFunction(() => (window as unknown as { hwnasReady?: boolean }).hwnasReady === true, undefined, { timeout: PAGE_LOAD_MS });
      return new BrowserPage(server, browser, page, crashed);
    } catch (e) {
      await browser?.close();
      await server.close();
      throw e;
    }
  }

  /** False once the browser died or the page's renderer crashed. */
  get alive(): boolean {
    return this.browser.alive && !this.crashed.value && !this.page.isClosed();
  }

  /** What happened to a page that is no longer alive, for error messages. */
  get deathCause(): string {
    if (this.crashed.value) return "the page's renderer process crashed";
    if (!this.browser.alive) return 'the browser process exited or was killed';
    return 'the browser or the page closed unexpectedly';
  }

  /** Waits (up to a second) for the close or crash event that follows a failed call, so deathCause can tell which. */
  async settle(): Promise<void> {
    if (!this.alive) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise((r) => this.browser.context.once('close', r)),
      new Promise((r) => this.page.once('crash', r)),
      new Promise((r) => (timer = setTimeout(r, 1000))),
    ]);
    clearTimeout(timer);
  }

  /**
   * Whether `error` (from a call) means the browser or page went away. Playwright can reject the call
   * before it has delivered the close event that turns `alive` false, so its message counts too.
   */
  diedWith(error: unknown): boolean {
    return !this.alive || /Target page, context or browser has been closed|Browser has been closed|Target closed|Page crashed/i.test(String((error as Error)?.message));
  }

  /** Calls window.hwnas[method](...args) in the page. */
  call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.page.evaluate(
      ([m, a]) => (window as unknown as { hwnas: Record<string, (...x: unknown[]) => unknown> }).hwnas[m as string](...(a as unknown[])),
      [method, args] as const,
    ) as Promise<T>;
  }

  async close(): Promise<void> {
    try {
      await this.browser.close();
    } finally {
      await this.server.close();
    }
  }
}
