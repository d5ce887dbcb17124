/**
 * Finding a Chrome, Chromium or Edge to drive. The search is file checks only (no process is started),
 * so a device's available() can call it.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where each platform's package managers and installers put the browser; first hit wins. */
function candidates(): string[] {
  const env = process.env;
  if (process.platform === 'darwin') {
    return ['Google Chrome', 'Chromium', 'Microsoft Edge', 'Google Chrome Canary'].map((app) => `/Applications/${app}.app/Contents/MacOS/${app}`);
  }
  if (process.platform === 'win32') {
    const roots = [env.PROGRAMFILES, env['PROGRAMFILES(X86)'], env.LOCALAPPDATA].filter((r): r is string => !!r);
    return roots.flatMap((root) => [
      path.join(root, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      path.join(root, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
      path.join(root, 'Chromium', 'Application', 'chrome.exe'),
    ]);
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/usr/bin/microsoft-edge',
    '/usr/bin/microsoft-edge-stable',
    '/snap/bin/chromium',
    '/opt/google/chrome/chrome',
  ];
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

export const INSTALL_HINT =
  'install Chrome, Chromium or Edge (Debian/Ubuntu: apt-get install chromium), or pass --browser PATH (or set CHROME_PATH), ' +
  'or --browser-endpoint ws://… of a running browser';

/**
 * The browser executable to launch: `explicit` (--browser) if given, else $CHROME_PATH, else the first
 * installed candidate. Returns a reason string when there is none.
 */
export function findBrowser(explicit?: string): { path: string } | { reason: string } {
  if (explicit) return isFile(explicit) ? { path: explicit } : { reason: `--browser ${explicit}: no such file` };
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) return isFile(fromEnv) ? { path: fromEnv } : { reason: `CHROME_PATH=${fromEnv}: no such file` };
  const tried = candidates();
  const found = tried.find(isFile);
  return found ? { path: found } : { reason: `no Chrome, Chromium or Edge found (looked in ${tried.join(', ')}); ${INSTALL_HINT}` };
}
