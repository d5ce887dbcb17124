// tfjs in the page: runs a "tfjs program" (built in Node by devices/browser/tfjs-program.ts from the
// model's op instances) on the webgl or webgpu backend. The page only interprets: every decision about
// which tfjs ops make up a catalog op is made in the TypeScript builder.
import { makeSampler, timerTickMs } from './timing.js';

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

const FUSED_ACTS = new Set(['linear', 'relu', 'relu6', 'sigmoid']);

function activate(tf, x, act) {
  switch (act) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hswish':
      return tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6));
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    default:
      throw new Error(`tfjs program: unknown activation '${act}'`);
  }
}

/** One step of a program on already computed values `v`; weights `w`. */
function step(tf, s, v, w) {
  const x = v[s.x];
  const fused = (fn, args) => {
    const act = FUSED_ACTS.has(s.act) ? s.act : 'linear';
    return activate(tf, fn({ ...args, activation: act }), FUSED_ACTS.has(s.act) ? 'linear' : s.act);
  };
  switch (s.op) {
    case 'conv':
      return fused(tf.fused.conv2d, { x, filter: w[s.w], bias: s.b === undefined ? undefined : w[s.b], strides: s.stride, pad: s.pad, dilations: s.dilation });
    case 'dwconv':
      return fused(tf.fused.depthwiseConv2d, { x, filter: w[s.w], bias: w[s.b], strides: s.stride, pad: s.pad, dilations: s.dilation });
    case 'groupconv': {
      // tfjs has no grouped convolution: one conv per group, concatenated (what tfjs-converter emits).
      const parts = tf.split(x, s.groups, 3).map((part, g) => tf.conv2d(part, w[s.w + g], s.stride, s.pad, 'NHWC', s.dilation));
      return activate(tf, tf.add(tf.concat(parts, 3), w[s.b]), s.act);
    }
    case 'act':
      return activate(tf, x, s.act);
    case 'add':
      return tf.add(x, v[s.y]);
    case 'mul':
      return tf.mul(x, v[s.y]);
    case 'addN':
      return tf.addN(s.xs.map((i) => v[i]));
    case 'scale':
      return tf.mul(x, s.by);
    case 'pool':
      return s.mode === 'avg' ? tf.avgPool(x, s.k, s.stride, s.pad) : tf.maxPool(x, s.k, s.stride, s.pad);
    case 'gpool':
      return s.mode === 'avg' ? tf.mean(x, [1, 2], true) : tf.max(x, [1, 2], true);
    case 'dense': {
      const flat = tf.reshape(x, [x.shape[0], -1]);
      const y = fused(tf.fused.matMul, { a: flat, b: w[s.w], bias: w[s.b] });
      return tf.reshape(y, [x.shape[0], 1, 1, -1]);
    }
    case 'subsample': {
      const [n, h, wd, c] = x.shape;
      return tf.stridedSlice(x, [0, 0, 0, 0], [n, h, wd, c], [1, s.stride, s.stride, 1]);
    }
    default:
      throw new Error(`tfjs program: unknown step '${s.op}'`);
  }
}

/** The program's output tensor for input tensors `feeds` and weight tensors `weights` (call inside tf.tidy). */
export function runProgram(tf, program, weights, feeds) {
  const values = [...feeds];
  for (const s of program.steps) values.push(step(tf, s, values, weights));
  return values[program.output];
}

/**
 * Opens a program for timing. inputs: [{ shape (NHWC), data: Float32Array }]. Weights are made once
 * here (seeded uniform values: latency does not depend on them). A run ends when a one-element
 * readback of the output resolves: the GPU has then finished every kernel before it, and only four
 * bytes travel back, whatever the output's size.
 */
export async function openTfjsModel(tf, program, inputs, { tickMs }) {
  const t0 = performance.now();
  const weights = program.weights.map((shape, i) => tf.randomUniform(shape, -0.1, 0.1, 'float32', i + 1));
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
