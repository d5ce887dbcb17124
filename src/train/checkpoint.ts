/**
 * Checkpoint files: named float32 tensors plus a JSON header, in one file written atomically (a
 * temporary file renamed over the old one, so a kill mid-write leaves the previous checkpoint).
 *
 * Layout: "HWNASCKP" (8 bytes), u32 LE version (1), u32 LE header length, the header as UTF-8 JSON
 * padded with spaces to a multiple of 4 bytes, then every tensor's float32 LE data back to back.
 * Header: {format, version, meta, tensors: [{name, shape, offset}]} with offsets in floats.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic-file.js';
import { UserError } from '../core/errors.js';

export const CHECKPOINT_FORMAT = 'hw-nas-checkpoint';
export const CHECKPOINT_VERSION = 1;
const MAGIC = 'HWNASCKP';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export interface CheckpointData {
  meta: Record<string, unknown>;
  tensors: Map<string, NamedTensor>;
}

interface Header {
  format: string;
  version: number;
  meta: Record<string, unknown>;
  tensors: { name: string; shape: number[]; offset: number }[];
}

export function encodeCheckpoint(c: CheckpointData): Uint8Array {
  let offset = 0;
  const entries: Header['tensors'] = [];
  for (const [name, t] of c.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`checkpoint tensor ${name}: shape ${t.shape.join('x')} does not match ${t.data.length} values`);
    entries.push({ name, shape: t.shape, offset });
    offset += n;
  }
  const header: Header = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, meta: c.meta, tensors: entries };
  let json = JSON.stringify(header);
  while (Buffer.byteLength(json) % 4 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const start = 16 + headerBytes.length;
  const out = new Uint8Array(start + 4 * offset);
  out.set(Buffer.from(MAGIC, 'ascii'), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  let at = start;
  for (const [, t] of c.tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): CheckpointData {
  const corrupt = (why: string) => new UserError(`${source} is not a usable checkpoint: ${why}`, { hint: 'delete it to start the training afresh' });
  if (bytes.length < 16 || Buffer.from(bytes.subarray(0, 8)).toString('ascii') !== MAGIC) throw corrupt('it does not start with the checkpoint magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw corrupt(`version ${version}, this tool reads version ${CHECKPOINT_VERSION}`);
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.length) throw corrupt('truncated header');
  let header: Header;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(16, 16 + headerLength)).toString('utf8')) as Header;
  } catch (e) {
    throw corrupt(`header is not JSON (${(e as Error).message})`);
  }
  if (header.format !== CHECKPOINT_FORMAT || !Array.isArray(header.tensors)) throw corrupt(`format ${JSON.stringify(header.format)}`);
  const start = 16 + headerLength;
  const floats = (bytes.length - start) / 4;
  const tensors = new Map<string, NamedTensor>();
  for (const e of header.tensors) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(e.offset) || e.offset + n > floats) throw corrupt(`tensor ${e.name} runs past the end of the file (truncated?)`);
    // Copy out: the file's buffer need not be 4-byte aligned.
    const data = new Float32Array(n);
    new Uint8Array(data.buffer).set(bytes.subarray(start + 4 * e.offset, start + 4 * (e.offset + n)));
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { meta: header.meta ?? {}, tensors };
}

export function writeCheckpoint(file: string, c: CheckpointData): void {
  writeFileAtomic(file, encodeCheckpoint(c), `checkpoint ${file}`);
}

export function readCheckpoint(file: string): CheckpointData {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new UserError(`cannot read checkpoint ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  return decodeCheckpoint(bytes, file);
}
