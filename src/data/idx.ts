/**
 * IDX files (the MNIST / Fashion-MNIST format), raw or gzipped.
 *
 * Layout: a big-endian 32-bit magic 0x0000TTNN (TT = element type, 0x08 = unsigned byte; NN = number
 * of dimensions), NN big-endian 32-bit sizes, then the elements. Images are 0x803 (count x rows x
 * cols), labels 0x801 (count). Every way a file can be wrong ends in a UserError naming the file.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../core/errors.js';

export const IDX_IMAGES_MAGIC = 0x803;
export const IDX_LABELS_MAGIC = 0x801;
const UBYTE = 0x08;

export interface IdxArray {
  magic: number;
  dims: number[];
  data: Uint8Array;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses when gzipped (by content, not by name); a damaged stream is reported as corrupt. */
export function maybeGunzip(bytes: Uint8Array, source: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    // A view, not a copy: Fashion-MNIST's images are 47 MB, and copying them cost ~0.15 s CPU of every load.
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new UserError(`${source} is a corrupt or truncated gzip file: ${(e as Error).message}`, {
      hint: 'download or install the data set again',
      cause: e,
    });
  }
}

/** Parses an IDX byte array (gzipped or raw) holding unsigned bytes; `expectMagic` checks the kind. */
export function parseIdx(raw: Uint8Array, source: string, expectMagic?: number): IdxArray {
  const bytes = maybeGunzip(raw, source);
  if (bytes.length < 4) throw new UserError(`${source} is truncated: ${bytes.length} bytes, an IDX file starts with a 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = (magic >>> 8) & 0xff;
  const rank = magic & 0xff;
  if (magic >>> 16 !== 0 || type !== UBYTE || rank === 0) {
    throw new UserError(`${source} is not an IDX file of unsigned bytes: magic 0x${magic.toString(16).padStart(8, '0')}`, {
      hint: 'expected 0x00000803 (images) or 0x00000801 (labels)',
    });
  }
  if (expectMagic !== undefined && magic !== expectMagic) {
    const what = (m: number) => (m === IDX_IMAGES_MAGIC ? 'images (0x803)' : m === IDX_LABELS_MAGIC ? 'labels (0x801)' : `0x${m.toString(16)}`);
    throw new UserError(`${source}: expected IDX ${what(expectMagic)}, found ${what(magic)}`, { hint: 'are the image and label files swapped?' });
  }
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new UserError(`${source} is truncated: its header needs ${header} bytes, the file has ${bytes.length}`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const have = bytes.length - header;
  if (have < count)
    throw new UserError(`${source} is truncated: dimensions ${dims.join('x')} need ${count} bytes of data, the file has ${have}`, {
      hint: 'download or install the data set again',
    });
  if (have > count) throw new UserError(`${source} is corrupt: ${have - count} bytes after the ${dims.join('x')} data`);
  return { magic, dims, data: bytes.subarray(header, header + count) };
}

function readBytes(file: string, hint: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`data file not found: ${file}`, { hint, cause: e });
    throw new UserError(`cannot read data file ${file}: ${code ?? (e as Error).message}`, { hint, cause: e });
  }
}

export interface IdxImages {
  count: number;
  height: number;
  width: number;
  /** count x height x width bytes, row-major. */
  pixels: Uint8Array;
}

export function readIdxImages(file: string, missingHint = ''): IdxImages {
  const a = parseIdx(readBytes(file, missingHint), file, IDX_IMAGES_MAGIC);
  const [count, height, width] = a.dims;
  return { count, height, width, pixels: a.data };
}

export function readIdxLabels(file: string, missingHint = ''): Uint8Array {
  return parseIdx(readBytes(file, missingHint), file, IDX_LABELS_MAGIC).data;
}
