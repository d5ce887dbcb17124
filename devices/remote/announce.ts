/**
 * Telling the human where to point a browser: the session URL(s) and a QR code of the first, on stderr
 * (stdout stays clean for --json output).
 */
import { createRequire } from 'node:module';
import os from 'node:os';

interface QrTerminal {
  generate(text: string, options: { small: boolean }, done: (qr: string) => void): void;
}

/** The URLs a browser can open: the bound address, or every IPv4 address of this machine for 0.0.0.0 / ::. */
export function sessionUrls(origin: URL, path: string): string[] {
  const host = origin.hostname.replace(/^\[|\]$/g, '');
  if (host !== '0.0.0.0' && host !== '::') return [new URL(path, origin).href];
  const addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfoIPv4 => !!a && a.family === 'IPv4')
    .map((a) => a.address)
    // LAN addresses first: they are the ones a phone can reach.
    .sort((a, b) => Number(a.startsWith('127.')) - Number(b.startsWith('127.')));
  return addresses.map((a) => `${origin.protocol}//${a}:${origin.port}${path}`);
}

export function qrCode(text: string): string {
  const qr = createRequire(import.meta.url)('qrcode-terminal') as QrTerminal;
  let out = '';
  qr.generate(text, { small: true }, (s) => {
    out = s;
  });
  return out;
}

/** The lines to print when the server is up. */
export function announcement(urls: string[], waitMs: number): string {
  const first = urls[0];
  const secure = /^https:|^http:\/\/(127\.|localhost|\[::1\])/.test(first);
  return [
    'remote device: open this URL in the browser to profile on (it holds the session token):',
    ...urls.map((u) => `  ${u}`),
    qrCode(first),
    ...(secure
      ? []
      : [
          'note: over plain http a LAN address is not a secure context: the browser there gets no WebGPU and no wasm threads.',
          '      For an Android phone over USB, `adb reverse tcp:PORT tcp:PORT` and open http://127.0.0.1:PORT/… instead.',
        ]),
    waitMs > 0 ? `waiting up to ${Math.round(waitMs / 1000)} s for a browser to connect…` : 'waiting for a browser to connect…',
  ].join('\n');
}
