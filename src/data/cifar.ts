/**
 * CIFAR-10 in its binary form (cifar-10-batches-bin): each record is 1 label byte followed by
 * 3072 bytes of a 32x32 image stored as three planes (R, G, B). Train = data_batch_1..5.bin,
 * test = test_batch.bin. Images are converted to NHWC on load.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { DataPart, ImageSet } from './types.js';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const RECORD = 1 + 3 * PLANE;
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;
const HINT = 'download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and pass --data DIR';

/** Parses the records of one .bin file: images as NHWC bytes, and their labels. */
export function parseCifarRecords(bytes: Uint8Array, source: string): { count: number; pixels: Uint8Array; labels: Uint8Array } {
  if (bytes.length === 0 || bytes.length % RECORD !== 0)
    throw new UserError(`${source} is truncated or not a CIFAR-10 binary batch: ${bytes.length} bytes is not a multiple of ${RECORD} (1 label + 3072 pixels)`, {
      hint: HINT,
    });
  const count = bytes.length / RECORD;
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    const rec = r * RECORD;
    const label = bytes[rec];
    if (label >= CIFAR10_CLASSES.length)
      throw new UserError(`${source} is corrupt: record ${r} has label ${label}, CIFAR-10 labels are 0-9`, { hint: HINT });
    labels[r] = label;
    const out = r * 3 * PLANE;
    // Planar RGB -> interleaved HWC.
    for (let p = 0; p < PLANE; p++) {
      pixels[out + 3 * p] = bytes[rec + 1 + p];
      pixels[out + 3 * p + 1] = bytes[rec + 1 + PLANE + p];
      pixels[out + 3 * p + 2] = bytes[rec + 1 + 2 * PLANE + p];
    }
  }
  return { count, pixels, labels };
}

/** The folder holding the .bin files: DIR itself or DIR/cifar-10-batches-bin. */
function batchesDir(dir: string): string {
  const nested = path.join(dir, 'cifar-10-batches-bin');
  return existsSync(nested) && statSync(nested).isDirectory() ? nested : dir;
}

export function loadCifar10(dir: string, part: DataPart): ImageSet {
  if (!existsSync(dir)) throw new UserError(`CIFAR-10 directory not found: ${dir}`, { hint: HINT });
  const folder = batchesDir(dir);
  const files =
    part === 'test'
      ? ['test_batch.bin']
      : readdirSync(folder)
          .filter((f) => /^data_batch_\d+\.bin$/.test(f))
          .sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  if (files.length === 0 || !existsSync(path.join(folder, files[0])))
    throw new UserError(`no CIFAR-10 ${part} batches (${part === 'test' ? 'test_batch.bin' : 'data_batch_*.bin'}) in ${folder}`, { hint: HINT });
  const parts = files.map((f) => {
    const file = path.join(folder, f);
    return parseCifarRecords(new Uint8Array(readFileSync(file)), file);
  });
  const count = parts.reduce((s, p) => s + p.count, 0);
  const pixels = new Uint8Array(count * 3 * PLANE);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    pixels.set(p.pixels, at * 3 * PLANE);
    labels.set(p.labels, at);
    at += p.count;
  }
  return {
    name: 'cifar10',
    part,
    source: folder,
    count,
    height: SIDE,
    width: SIDE,
    channels: 3,
    classes: CIFAR10_CLASSES.length,
    classNames: CIFAR10_CLASSES,
    pixels,
    labels,
  };
}
