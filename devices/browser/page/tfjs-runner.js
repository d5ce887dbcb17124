// tfjs in the page: runs a "tfjs program" (compiled in Node by devices/tfjs/program.ts from the model's
// primitive graph) on the webgl or webgpu backend, through the interpreter the Node tfjs devices run too
// (tfjs-program.js). Every decision about which tfjs ops make up a primitive is made by the compiler.
import { runProgram } from './tfjs-program.js';
import { makeSampler, timerTickMs } from './timing.js';

export { runProgram };

/** Loads tfjs from the given script URLs (UMD bundles that define globalThis.tf) and selects `backend`. */
export async function loadTfjs(scripts, backend) {
  for (const src of scripts) {
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.appendChild(s);
    });
  }
  const tf = globalThis.tf;
  if (!tf?.setBackend) throw new Error(`${scripts.join(', ')} loaded, but globalThis.tf is not tfjs`);
  const ok = await tf.setBackend(backend).catch(() => false);
  if (!ok) return { error: `tfjs could not start its '${backend}' backend in this browser (no ${backend === 'webgl' ? 'WebGL context' : 'WebGPU adapter'})` };
  await tf.ready();
  const info = { version: tf.version_core ?? tf.version?.['tfjs-core'], backend: tf.getBackend(), tickMs: timerTickMs() };
  if (backend === 'webgl') {
    const gl = tf.backend().gpgpu?.gl;
    const dbg = gl?.getExtension('WEBGL_debug_renderer_info');
    info.renderer = dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : gl?.getParameter(gl.RENDERER) ?? '';
    info.vendor = dbg ? gl.getParameter(dbg.UNMASKED_VENDOR_WEBGL) : gl?.getParameter(gl.VENDOR) ?? '';
    info.webglVersion = tf.env().getNumber('WEBGL_VERSION');
  }
  return info;
}

/**
 * Opens a program for timing. inputs: [{ shape (NHWC), data: Float32Array }]. Weights are made once
 * here (seeded uniform values: latency does not depend on them). A run ends when a one-element
 * readback of the output resolves: the GPU has then finished every kernel before it, and only four
 * bytes travel back, whatever the output's size.
 */
export async function openTfjsModel(tf, program, inputs, { tickMs }) {
  const t0 = performance.now();
  const weights = program.weights.map((weight, i) => tf.randomUniform(weight.shape, -0.1, 0.1, 'float32', i + 1));
  const feeds = inputs.map((input) => tf.tensor(input.data, input.shape, 'float32'));
  const setupMs = performance.now() - t0;

  async function run() {
    const probe = tf.tidy(() => tf.slice(runProgram(tf, program, weights, feeds), [0, 0, 0, 0], [1, 1, 1, 1]));
    await probe.data();
    probe.dispose();
  }

  const sampler = makeSampler(run, { tickMs, mode: 'wall' });
  return {
    setupMs,
    cold: sampler.cold,
    samples: sampler.samples,
    async release() {
      for (const t of [...weights, ...feeds]) t.dispose();
    },
  };
}
