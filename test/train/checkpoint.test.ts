import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';

describe('checkpoint files', () => {
  const tensors = new Map([
    ['layer0.conv.weight', { shape: [3, 3, 1, 2], data: Float32Array.from({ length: 18 }, (_, i) => i / 7) }],
    ['optimizer.momentum.layer0.conv.weight', { shape: [3, 3, 1, 2], data: new Float32Array(18).fill(-0.5) }],
    ['layer0.conv.bn.mean', { shape: [2], data: Float32Array.of(1e-30, 3e38) }],
  ]);

  it('round-trips named tensors and metadata exactly, written atomically', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ckpt-'));
    const file = path.join(dir, 'a.ckpt');
    writeCheckpoint(file, { meta: { step: 7, note: 'é' }, tensors });
    const back = readCheckpoint(file);
    expect(back.meta).toEqual({ step: 7, note: 'é' });
    expect([...back.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [k, t] of tensors) {
      expect(back.tensors.get(k)!.shape).toEqual(t.shape);
      expect(back.tensors.get(k)!.data).toEqual(t.data);
    }
    expect(readFileSync(file).subarray(0, 8).toString()).toBe('HWNASCKP');
  });

  it('refuses foreign, truncated and unreadable files with a clear message', () => {
    const bytes = encodeCheckpoint({ meta: {}, tensors });
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not":"a checkpoint"}'), 'x.ckpt')).toThrow(/x\.ckpt is not a usable checkpoint: it does not start with the checkpoint magic/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 8), 'x.ckpt')).toThrow(/runs past the end of the file \(truncated\?\)/);
    const wrongVersion = bytes.slice();
    wrongVersion[8] = 9;
    expect(() => decodeCheckpoint(wrongVersion, 'x.ckpt')).toThrow(/version 9/);
    expect(() => readCheckpoint('/no/such/file.ckpt')).toThrow(/cannot read checkpoint \/no\/such\/file\.ckpt: ENOENT/);
    const dir = mkdtempSync(path.join(tmpdir(), 'ckpt-'));
    writeFileSync(path.join(dir, 'f'), 'x');
    expect(() => writeCheckpoint(path.join(dir, 'f', 'sub.ckpt'), { meta: {}, tensors })).toThrow(/cannot write checkpoint/);
  });
});
