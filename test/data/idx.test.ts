import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/errors.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { parseIdx, readIdxImages } from '../../src/data/idx.js';

/** An IDX file of unsigned bytes: magic 0x08<rank>, big-endian sizes, data. */
function idx(dims: number[], data: number[], magic = 0x800 + dims.length): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Writes a small Fashion-MNIST-shaped copy (3 images of 2x3) into a fresh folder. */
function fakeFashionDir(gzip: boolean, labels = [0, 9, 4]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'idx-'));
  const pixels = Array.from({ length: 18 }, (_, i) => i * 10);
  const write = (name: string, bytes: Uint8Array) => writeFileSync(path.join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
  write('train-images-idx3-ubyte', idx([3, 2, 3], pixels));
  write('train-labels-idx1-ubyte', idx([labels.length], labels));
  return dir;
}

describe('IDX parsing', () => {
  it('reads raw and gzipped files the same', () => {
    for (const gzip of [false, true]) {
      const set = loadFashionMnist(fakeFashionDir(gzip), 'train');
      expect([set.count, set.height, set.width, set.channels]).toEqual([3, 2, 3, 1]);
      expect([...set.labels]).toEqual([0, 9, 4]);
      expect(set.pixels[7]).toBe(70);
    }
  });

  it('rejects wrong magic, truncation, trailing bytes and corrupt gzip, naming the file', () => {
    const bad = (bytes: Uint8Array, re: RegExp) => {
      const e = (() => {
        try {
          parseIdx(bytes, 'f.idx', 0x803);
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toMatch(re);
      expect((e as Error).message).toMatch(/f\.idx/);
    };
    bad(idx([4], [1, 2, 3, 4]), /expected IDX images \(0x803\), found labels \(0x801\)/);
    bad(idx([2, 2], [1, 2, 3, 4], 0x0d02), /not an IDX file of unsigned bytes: magic 0x00000d02/);
    bad(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), /not an IDX file/);
    bad(new Uint8Array([0, 0]), /truncated/);
    bad(idx([2, 2, 2], [1, 2, 3]), /truncated: dimensions 2x2x2 need 8 bytes of data, the file has 3/);
    bad(idx([1, 1, 2], [1, 2, 3]), /corrupt: 1 bytes after/);
    const gz = gzipSync(idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    bad(gz.subarray(0, gz.length - 9), /corrupt or truncated gzip/);
  });

  it('reports a missing file with the Debian package and --data', () => {
    // The CLI prints the message and then the hint.
    const said = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return `${(e as UserError).message}\nhint: ${(e as UserError).hint}`;
      }
      throw new Error('did not throw');
    };
    expect(said(() => loadFashionMnist('/nonexistent-dir', 'train'))).toMatch(/not found: \/nonexistent-dir[\s\S]*apt-get install dataset-fashion-mnist.*--data DIR/);
    const dir = fakeFashionDir(false);
    expect(said(() => loadFashionMnist(dir, 'test'))).toMatch(/not found: .*t10k-images-idx3-ubyte[\s\S]*apt-get install dataset-fashion-mnist/);
    expect(() => readIdxImages(path.join(dir, 'train-labels-idx1-ubyte'))).toThrow(/expected IDX images/);
  });

  it('rejects image and label files that disagree in count, and labels out of range', () => {
    expect(() => loadFashionMnist(fakeFashionDir(true, [1, 2]), 'train')).toThrow(/has 3 images, .* has 2 labels/);
    expect(() => loadFashionMnist(fakeFashionDir(false, [1, 2, 10]), 'train')).toThrow(/label 2 is 10/);
  });
});

describe.runIf(existsSync(FASHION_MNIST_DIR))('the installed Fashion-MNIST', () => {
  it('has 60000 + 10000 images of 28x28 with labels 0-9', () => {
    for (const [part, n] of [['train', 60000], ['test', 10000]] as const) {
      const set = loadFashionMnist(FASHION_MNIST_DIR, part);
      expect([set.count, set.height, set.width, set.channels, set.classes]).toEqual([n, 28, 28, 1, 10]);
      expect(set.pixels.length).toBe(n * 784);
      const counts = new Array(10).fill(0);
      for (const l of set.labels) counts[l]++;
      expect(Math.min(...counts)).toBe(n / 10); // balanced: exactly n/10 per class
      expect(Math.max(...set.pixels.subarray(0, 784 * 10))).toBeGreaterThan(200);
    }
  });
});
