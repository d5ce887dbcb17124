import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { loadCifar10, parseCifarRecords } from '../../src/data/cifar.js';
import { loadImageSet } from '../../src/data/datasets.js';

/** One record: label, then R, G, B planes filled with (base, base+1, base+2) and a marker pixel. */
function record(label: number, base: number): Uint8Array {
  const r = new Uint8Array(3073);
  r[0] = label;
  r.fill(base, 1, 1025);
  r.fill(base + 1, 1025, 2049);
  r.fill(base + 2, 2049, 3073);
  r[1 + 33] = 200; // R of pixel (1, 1)
  return r;
}

function batch(...records: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(records.length * 3073);
  records.forEach((r, i) => out.set(r, i * 3073));
  return out;
}

describe('CIFAR-10 binary batches', () => {
  it('turns planar records into NHWC images and labels', () => {
    const { count, pixels, labels } = parseCifarRecords(batch(record(3, 10), record(9, 50)), 'b.bin');
    expect(count).toBe(2);
    expect([...labels]).toEqual([3, 9]);
    expect([...pixels.subarray(0, 3)]).toEqual([10, 11, 12]);
    expect(pixels[3 * 33]).toBe(200);
    expect([...pixels.subarray(3072, 3075)]).toEqual([50, 51, 52]);
  });

  it('loads data_batch_* in numeric order from DIR or DIR/cifar-10-batches-bin', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cifar-'));
    const bins = path.join(dir, 'cifar-10-batches-bin');
    mkdirSync(bins);
    writeFileSync(path.join(bins, 'data_batch_10.bin'), batch(record(2, 0)));
    writeFileSync(path.join(bins, 'data_batch_2.bin'), batch(record(1, 0), record(1, 0)));
    writeFileSync(path.join(bins, 'test_batch.bin'), batch(record(7, 0)));
    const train = loadImageSet({ dataset: 'cifar10', dir, part: 'train' });
    expect([train.count, train.height, train.width, train.channels, train.classes]).toEqual([3, 32, 32, 3, 10]);
    expect([...train.labels]).toEqual([1, 1, 2]);
    expect([...loadCifar10(bins, 'test').labels]).toEqual([7]);
  });

  it('rejects truncated files, bad labels and missing batches', () => {
    expect(() => parseCifarRecords(batch(record(1, 0)).subarray(0, 3000), 'x.bin')).toThrow(/x\.bin is truncated .*not a multiple of 3073/);
    expect(() => parseCifarRecords(batch(record(1, 0), record(12, 0)), 'x.bin')).toThrow(/record 1 has label 12/);
    const empty = mkdtempSync(path.join(tmpdir(), 'cifar-'));
    expect(() => loadCifar10(empty, 'train')).toThrow(/no CIFAR-10 train batches/);
    expect(() => loadCifar10('/no/such/dir', 'test')).toThrow(UserError);
    expect(() => loadImageSet({ dataset: 'cifar10' })).toThrow(/--data DIR/);
    expect(() => loadImageSet({ dataset: 'imagenet' })).toThrow(/unknown data set 'imagenet'.*|choose one of/);
  });
});
