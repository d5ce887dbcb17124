/**
 * The seed networks as exported ONNX files: parameters counted from the file's float initializers (BatchNorm
 * folded by the exporter) within 1% of the published figure (or half its last digit), the file passes
 * onnx.checker full_check, and onnxruntime-node runs it. Parameters do not depend on the input size, so the
 * nets are exported at 64 px to keep the test fast.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { networkModel } from '../../export/model.js';
import { SEED_NETS, seedNet } from '../../src/spaces/seed-nets/index.js';
import { PYTHON, PYTHON_ONNX_MISSING, run } from '../export/helpers.js';

const COUNT_SCRIPT = `
import json, sys, onnx
from onnx import numpy_helper
out = {}
for path in sys.argv[1:]:
    m = onnx.load(path)
    err = None
    try:
        onnx.checker.check_model(m, full_check=True)
    except Exception as e:
        err = str(e).splitlines()[0] if str(e) else type(e).__name__
    n = 0
    for t in m.graph.initializer:
        if t.data_type == onnx.TensorProto.FLOAT:
            size = 1
            for d in t.dims:
                size *= d
            n += size
    out[path] = {"params": n, "error": err}
print(json.dumps(out))
`;

const dir = mkdtempSync(join(tmpdir(), 'hwnas-seed-onnx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(PYTHON_ONNX_MISSING !== undefined)(`seed networks as ONNX (${PYTHON_ONNX_MISSING ?? 'python3-onnx'})`, () => {
  it('every net: exported parameters within 1% of the published count, onnx.checker passes, onnxruntime runs it', async () => {
    const files = SEED_NETS.map((net, i) => {
      const model = networkModel(seedNet(net.name, { resolution: 64 }), { seed: 1 });
      const path = join(dir, `${i}.onnx`);
      writeFileSync(path, model.onnx);
      return { net, model, path };
    });
    const r = spawnSync(PYTHON, ['-c', COUNT_SCRIPT, ...files.map((f) => f.path)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status, r.stderr).toBe(0);
    const counts = JSON.parse(r.stdout) as Record<string, { params: number; error: string | null }>;
    for (const { net, model, path } of files) {
      const { params, error } = counts[path];
      expect(error, net.name).toBeNull();
      const fig = net.published.params;
      const tol = Math.max(0.01 * fig.value, (fig.unit ?? 0) / 2);
      expect(Math.abs(params - fig.value), `${net.name}: ${params} parameters in the ONNX file vs published ${fig.value} (${fig.source})`).toBeLessThanOrEqual(tol);
      const out = await run(model);
      expect(out.dims.reduce((a, b) => a * b, 1), net.name).toBe(1000);
      expect(out.data.every(Number.isFinite), net.name).toBe(true);
    }
  }, 300_000);
});
