/**
 * Starting (or connecting to) the browser a browser device runs its page in, via playwright-core.
 *
 * A launched browser gets a fresh user-data dir, removed again on close, so no profile, cache or
 * compiled-shader cache from an earlier run changes cold times. A browser reached through
 * --browser-endpoint belongs to the user: we open our own context in it and close only that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { DeviceUnavailableError } from '../../src/core/errors.js';
import { findBrowser, INSTALL_HINT } from './find-browser.js';

/** Flags from docs/runtime-notes: WebGPU needs --enable-unsafe-webgpu; the rest keep the browser quiet and container-safe. */
export const BASE_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export interface LaunchOptions {
  /** Registry name of the device, for error messages. */
  device: string;
  /** Executable path (--browser); found automatically when absent. */
  executable?: string;
  /** ws:// (Playwright server or CDP) or http:// (CDP) endpoint of a running browser (--browser-endpoint). */
  endpoint?: string;
  headless: boolean;
  /** Flags added to BASE_ARGS (e.g. --use-angle=vulkan on a machine with a GPU). */
  extraArgs: string[];
}

export interface LaunchedBrowser {
  context: BrowserContext;
  /** "launched /usr/bin/chromium" or "connected ws://…". */
  source: string;
  /** The user-data dir of a launched browser (removed by close()). */
  userDataDir?: string;
  /** False once the browser process died or the connection dropped. */
  readonly alive: boolean;
  close(): Promise<void>;
}

export async function launchBrowser(o: LaunchOptions): Promise<LaunchedBrowser> {
  let playwright: typeof import('playwright-core');
  try {
    playwright = await import('playwright-core');
  } catch (e) {
    throw new DeviceUnavailableError(o.device, `playwright-core cannot be loaded: ${(e as Error).message}`, { hint: 'npm install playwright-core', cause: e });
  }
  return o.endpoint ? connect(playwright, o, o.endpoint) : launch(playwright, o);
}

function tracked(context: BrowserContext, source: string, close: () => Promise<void>, userDataDir?: string): LaunchedBrowser {
  let alive = true;
  context.on('close', () => {
    alive = false;
  });
  let closing: Promise<void> | undefined;
  return {
    context,
    source,
    userDataDir,
    get alive() {
      return alive;
    },
    close: () => {
      alive = false;
      closing ??= close();
      return closing;
    },
  };
}

async function launch(playwright: typeof import('playwright-core'), o: LaunchOptions): Promise<LaunchedBrowser> {
  const found = findBrowser(o.executable);
  if ('reason' in found) throw new DeviceUnavailableError(o.device, found.reason, { hint: INSTALL_HINT });
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'hwnas-browser-'));
  // Also on a Ctrl-C'd run: Playwright closes the browser on SIGINT, and 'exit' handlers still run.
  const removeDir = () => {
    process.off('exit', removeDir);
    rmSync(userDataDir, { recursive: true, force: true });
  };
  process.on('exit', removeDir);
  let context: BrowserContext;
  try {
    context = await playwright.chromium.launchPersistentContext(userDataDir, {
      executablePath: found.path,
      headless: o.headless,
      args: [...BASE_ARGS, ...o.extraArgs],
    });
  } catch (e) {
    removeDir();
    throw new DeviceUnavailableError(o.device, `the browser ${found.path} did not start: ${firstLine(e)}`, { hint: INSTALL_HINT, cause: e });
  }
  return tracked(
    context,
    `launched ${found.path}`,
    async () => {
      try {
        await context.close();
      } catch {
        // Already gone (crashed or killed): nothing left to close but the folder.
      } finally {
        removeDir();
      }
    },
    userDataDir,
  );
}

async function connect(playwright: typeof import('playwright-core'), o: LaunchOptions, endpoint: string): Promise<LaunchedBrowser> {
  // A DevTools endpoint (chrome --remote-debugging-port) speaks CDP; anything else is taken to be a
  // Playwright browser server (browserType.launchServer()).
  const cdp = /^https?:/.test(endpoint) || endpoint.includes('/devtools/browser/');
  let browser: import('playwright-core').Browser;
  try {
    browser = cdp ? await playwright.chromium.connectOverCDP(endpoint) : await playwright.chromium.connect(endpoint);
  } catch (e) {
    throw new DeviceUnavailableError(o.device, `cannot connect to the browser at ${endpoint}: ${firstLine(e)}`, {
      hint: 'start the browser with --remote-debugging-port=9222 and pass its ws://…/devtools/browser/… URL (or http://127.0.0.1:9222)',
      cause: e,
    });
  }
  const context = await browser.newContext();
  browser.on('disconnected', () => void context.close().catch(() => undefined));
  return tracked(context, `connected ${endpoint}`, async () => {
    await context.close().catch(() => undefined);
    // Disconnects; a browser we did not launch keeps running.
    await browser.close().catch(() => undefined);
  });
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).split('\n')[0];
}
