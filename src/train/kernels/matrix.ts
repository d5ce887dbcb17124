/**
 * Matrix helpers at the TensorInfo level, shaped by what is fast on wasm (XNNPACK):
 * - BatchMatMul is fast only without transposes, and it packs its second operand with a transpose
 *   that thrashes the cache once that operand is large (18 ms to pack 50176 x 48), so a big product
 *   over a long shared dimension is cut into chunks whose second operand fits in cache.
 * - Transpose writes with the row stride of its output; for a tall matrix that is a cache miss per
 *   element. Reading through a 4-d view keeps it to one pass over cache-sized chunks.
 * - Sums over rows run as an average pooling over a [1, rows, 1, c] image (one pass; Sum would
 *   transpose first).
 */
import * as tf from '@tensorflow/tfjs';
import { reshaped, type KernelHost } from './host.js';

type Info = tf.TensorInfo;

/** Rows per chunk: the chunk of the second operand (rows x up to ~150 floats) stays in L2. */
const CHUNK = 1024;
const TILE = 32;

/** [r, c] -> [c, r]. */
export function transpose2d(host: KernelHost, t: Info): Info {
  const [r, c] = t.shape;
  if (host.backendName !== 'wasm' || c <= 16 || r % TILE !== 0 || r <= TILE) {
    return reshaped(host.run(tf.Transpose, { x: reshaped(t, [r, c]) }, { perm: [1, 0] }), [c, r]);
  }
  return reshaped(host.run(tf.Transpose, { x: reshaped(t, [1, r / TILE, TILE, c]) }, { perm: [0, 3, 1, 2] }), [c, r]);
}

/** Mean of each column of t [rows, c], as [1, 1, 1, c]. */
export function columnMeans(host: KernelHost, t: Info): Info {
  const [rows, c] = t.shape;
  return host.run(tf.AvgPool, { x: reshaped(t, [1, rows, 1, c]) }, { filterSize: [rows, 1], strides: [1, 1], pad: 'valid' });
}

function matMul(host: KernelHost, a: Info, b: Info): Info {
  return host.run(tf.BatchMatMul, { a: reshaped(a, [1, ...a.shape.slice(-2)]), b: reshaped(b, [1, ...b.shape.slice(-2)]) }, { transposeA: false, transposeB: false });
}

function addInto(host: KernelHost, acc: Info | undefined, part: Info): Info {
  if (!acc) return part;
  const sum = host.run(tf.Add, { a: acc, b: part });
  host.dispose(acc);
  host.dispose(part);
  return sum;
}

/**
 * x^T y for x [rows, a] and y [rows, b] (the weight gradient of a product over rows): [a, b].
 * The narrower operand is transposed chunk by chunk and becomes the first factor; the other is
 * used in place, chunk by chunk, as the second.
 */
export function matMulTN(host: KernelHost, x: Info, y: Info): Info {
  const [rows, a] = x.shape;
  const b = y.shape[1];
  if (host.backendName !== 'wasm') return host.run(tf.BatchMatMul, { a: reshaped(x, [1, rows, a]), b: reshaped(y, [1, rows, b]) }, { transposeA: true, transposeB: false });
  // A single column transposes for free, and the other operand is then used whole: its packing is
  // cached on its id, so a caller looping over taps with the same `y` packs it once.
  if (a === 1) return reshaped(matMul(host, reshaped(x, [1, rows]), y), [1, b]);
  if (b === 1) return reshaped(matMul(host, reshaped(y, [1, rows]), x), [a, 1]);
  const swap = b > a;
  const [first, second] = swap ? [y, x] : [x, y];
  const wa = first.shape[1];
  const wb = second.shape[1];
  const chunks = Math.floor(rows / CHUNK);
  let acc: Info | undefined;
  if (chunks > 0) {
    // All chunks of `first` transposed in one pass: [chunks, wa, CHUNK].
    const head = host.alias(first, 0, [chunks, CHUNK / TILE, TILE, wa]);
    const firstT = host.run(tf.Transpose, { x: head }, { perm: [0, 3, 1, 2] });
    host.dispose(head);
    for (let k = 0; k < chunks; k++) {
      const left = host.alias(firstT, k * wa * CHUNK, [wa, CHUNK]);
      const right = host.alias(second, k * CHUNK * wb, [CHUNK, wb]);
      acc = addInto(host, acc, matMul(host, left, right));
      host.dispose(left);
      host.dispose(right);
    }
    host.dispose(firstT);
  }
  const rest = rows - chunks * CHUNK;
  if (rest > 0) {
    const tail = host.alias(first, chunks * CHUNK * wa, [rest, wa]);
    const tailT = host.run(tf.Transpose, { x: tail }, { perm: [1, 0] });
    const right = host.alias(second, chunks * CHUNK * wb, [rest, wb]);
    acc = addInto(host, acc, matMul(host, tailT, right));
    for (const t of [tail, tailT, right]) host.dispose(t);
  }
  const out = acc!;
  if (!swap) return reshaped(out, [a, b]);
  const t = transpose2d(host, reshaped(out, [b, a]));
  host.dispose(out);
  return t;
}
