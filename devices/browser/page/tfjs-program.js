// The tfjs program interpreter (programs are compiled from a primitive graph by devices/tfjs/program.ts).
// One file for every place tfjs runs a model: the bench page imports it, and so do the Node tfjs devices
// (devices/tfjs/interpreter.ts), so both run the same program; the zero-cost proxies' tfjs net
// (src/evaluators/proxy/tf-net.ts) uses its activations. It takes tf as an argument and touches no DOM.

const FUSED_ACTS = new Set(['linear', 'relu', 'relu6', 'sigmoid']);

/** relu, relu6, sigmoid, hswish x·relu6(x+3)/6, hsigmoid relu6(x+3)/6, swish x·sigmoid(x), linear. */
export function activate(tf, x, act) {
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
    case 'hsigmoid':
      return tf.div(tf.relu6(tf.add(x, 3)), 6);
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
  const bias = s.b === undefined ? undefined : w[s.b];
  switch (s.op) {
    case 'conv':
      return fused(tf.fused.conv2d, { x, filter: w[s.w], bias, strides: s.stride, pad: s.pad, dilations: s.dilation });
    case 'dwconv':
      return fused(tf.fused.depthwiseConv2d, { x, filter: w[s.w], bias, strides: s.stride, pad: s.pad, dilations: s.dilation });
    case 'groupconv': {
      // tfjs has no grouped convolution: one conv per group, concatenated (what tfjs-converter emits).
      const parts = tf.split(x, s.groups, 3).map((part, g) => tf.conv2d(part, w[s.w + g], s.stride, s.pad, 'NHWC', s.dilation));
      const y = tf.concat(parts, 3);
      return activate(tf, bias ? tf.add(y, bias) : y, s.act);
    }
    case 'affine':
      return tf.add(tf.mul(x, w[s.scale]), w[s.shift]);
    case 'act':
      return activate(tf, x, s.act);
    case 'add':
      return s.xs.length === 2 ? tf.add(v[s.xs[0]], v[s.xs[1]]) : tf.addN(s.xs.map((i) => v[i]));
    case 'mul':
      return tf.mul(x, v[s.y]);
    case 'concat':
      return tf.concat(s.xs.map((i) => v[i]), 3);
    case 'slice':
      return tf.slice(x, [0, 0, 0, s.begin], [-1, -1, -1, s.size]);
    case 'crop':
      return tf.slice(x, [0, s.begin[0], s.begin[1], 0], [-1, s.size[0], s.size[1], -1]);
    case 'shuffle': {
      // NCHW channel c = g·(C/G) + j moves to j·G + g; channels are the last axis here.
      const [n, h, wd, c] = x.shape;
      return tf.reshape(tf.transpose(tf.reshape(x, [n, h, wd, s.groups, c / s.groups]), [0, 1, 2, 4, 3]), [n, h, wd, c]);
    }
    case 'pool': {
      const input = s.zeroPad === undefined ? x : tf.pad(x, typeof s.zeroPad === 'number' ? [[0, 0], [s.zeroPad, s.zeroPad], [s.zeroPad, s.zeroPad], [0, 0]] : s.zeroPad);
      return s.mode === 'avg' ? tf.avgPool(input, s.kernel, s.stride, s.pad) : tf.maxPool(input, s.kernel, s.stride, s.pad);
    }
    case 'gpool':
      return s.mode === 'avg' ? tf.mean(x, [1, 2], true) : tf.max(x, [1, 2], true);
    case 'flatten': {
      // NCHW order (C, H, W), as ONNX Flatten reads it.
      const [n, h, wd, c] = x.shape;
      return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, 1, 1, c * h * wd]);
    }
    case 'dense': {
      const y = fused(tf.fused.matMul, { a: tf.reshape(x, [x.shape[0], -1]), b: w[s.w], bias });
      return tf.reshape(y, [x.shape[0], 1, 1, -1]);
    }
    case 'zero': {
      const [n, h, wd, c] = x.shape;
      const y = s.stride === 1 ? x : tf.stridedSlice(x, [0, 0, 0, 0], [n, h, wd, c], [1, s.stride, s.stride, 1]);
      return tf.mul(y, 0);
    }
    case 'norm': {
      const { mean, variance } = tf.moments(x, s.axes, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, s.eps))), w[s.scale]), w[s.shift]);
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
