/**
 * Locating onnxruntime-node without loading it: the registry asks every device whether it is
 * available, and that must stay cheap, so we only look for the package and its native binding.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const PACKAGE = 'onnxruntime-node';

/** The package folder and version, or the reason it cannot be used here. */
export function findOrtNode(): { dir: string; version: string } | string {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(PACKAGE);
  } catch {
    return `the '${PACKAGE}' package is not installed (npm install ${PACKAGE}; set ONNXRUNTIME_NODE_INSTALL=skip when offline)`;
  }
  let dir = path.dirname(entry);
  while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) !== PACKAGE) {
    const up = path.dirname(dir);
    if (up === dir) return `cannot find the folder of '${PACKAGE}' above ${entry}`;
    dir = up;
  }
  const binding = path.join(dir, 'bin', 'napi-v6', process.platform, process.arch, 'onnxruntime_binding.node');
  if (!existsSync(binding)) return `'${PACKAGE}' ships no native binary for ${process.platform}/${process.arch} (looked for ${binding})`;
  const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  return { dir, version };
}
