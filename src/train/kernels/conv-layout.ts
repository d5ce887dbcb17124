/**
 * Data movement for convolution gradients, NHWC, dilation 1.
 *
 * Phases: with stride s the tap (i, j) of output (y, x) reads input (s*y + i - pt, s*x + j - pl).
 * Splitting the padded input into its s*s phases (rows a, a+s, ...; columns b, b+s, ...) turns every
 * tap into a *shifted window* of one phase: tap (i, j) is phase (i%s, j%s) shifted by (i/s, j/s).
 * On a grid of Hq x Wq = (Ho + (kh-1)/s) x (Wo + (kw-1)/s) positions a shift is a constant offset
 * into the flattened phase, so each tap is an alias (no copy) of R = N*Hq*Wq - maxShift rows, and
 * dy laid on the same grid (zeros outside Ho x Wo) lines up with all of them. Rows that fall outside
 * the real output meet a zero of dy, so they add nothing.
 *
 * Dilated dy: the input gradient of a strided conv is a stride-1 conv of dy with zeros inserted
 * between its pixels and a border, with the filter rotated by 180 degrees.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelHost } from './host.js';

type Info = tf.TensorInfo;

export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  cin: number;
  oh: number;
  ow: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
}

export type ConvPad = Parameters<typeof tf.backend_util.computeConv2DInfo>[4];

export function geometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: ConvPad,
  depthwise: boolean,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) throw new Error('training kernels support dilation 1 only');
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    cin: info.inChannels,
    oh: info.outHeight,
    ow: info.outWidth,
    cout: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    pt: info.padInfo.top,
    pl: info.padInfo.left,
  };
}

export interface Phases {
  /** [phases, n, hq, wq, c] in one block. */
  data: Info;
  hq: number;
  wq: number;
  /** Rows every tap window has. */
  rows: number;
  /** Element offset of tap (i, j)'s window inside `data`. */
  tapOffset(i: number, j: number): number;
}

function phaseGrid(g: ConvGeometry) {
  const hq = g.oh + Math.floor((g.kh - 1) / g.sh);
  const wq = g.ow + Math.floor((g.kw - 1) / g.sw);
  const pa = Math.min(g.sh, g.kh);
  const pb = Math.min(g.sw, g.kw);
  const maxShift = Math.floor((g.kh - 1) / g.sh) * wq + Math.floor((g.kw - 1) / g.sw);
  return { hq, wq, pa, pb, rows: g.n * hq * wq - maxShift };
}

/** The phases of x (channels `c`), zero outside the input. */
export function gatherPhases(host: KernelHost, x: Info, g: ConvGeometry, c: number): Phases {
  const { hq, wq, pa, pb, rows } = phaseGrid(g);
  const phaseSize = g.n * hq * wq * c;
  let data: Info;
  if (g.sh === 1 && g.sw === 1) {
    // One phase: x padded to hq x wq; with stride 1 the bottom/right borders are never negative.
    const paddings = [[0, 0], [g.pt, hq - g.h - g.pt], [g.pl, wq - g.w - g.pl], [0, 0]];
    data = padded(host, x, paddings);
  } else {
    data = host.alloc([pa * pb, g.n, hq, wq, c]);
    host.view(data).fill(0);
    const copy = host.copier(data, x);
    for (let a = 0; a < pa; a++) {
      for (let b = 0; b < pb; b++) {
        // Columns v whose source column sw*v + b - pl lies inside the image.
        const v0 = Math.max(0, Math.ceil((g.pl - b) / g.sw));
        const v1 = Math.min(wq - 1, Math.floor((g.w - 1 + g.pl - b) / g.sw));
        for (let n = 0; n < g.n; n++) {
          for (let u = 0; u < hq; u++) {
            const y = g.sh * u + a - g.pt;
            if (y < 0 || y >= g.h) continue;
            const o = (((a * pb + b) * g.n + n) * hq + u) * wq * c;
            const rowBase = (n * g.h + y) * g.w;
            for (let v = v0; v <= v1; v++) copy(o + v * c, (rowBase + g.sw * v + b - g.pl) * c, c);
          }
        }
      }
    }
  }
  return {
    data,
    hq,
    wq,
    rows,
    tapOffset: (i, j) => ((i % g.sh) * pb + (j % g.sw)) * phaseSize + (Math.floor(i / g.sh) * wq + Math.floor(j / g.sw)) * c,
  };
}

/** dy [n, oh, ow, c] laid on the phase grid [n, hq, wq, c], zeros beyond oh x ow. */
export function dyOnGrid(host: KernelHost, dy: Info, g: ConvGeometry, p: Phases): Info {
  return padded(host, dy, [[0, 0], [0, p.hq - g.oh], [0, p.wq - g.ow], [0, 0]]);
}

/**
 * NHWC `t` zero-padded in height and width; without padding an alias of it (a 1x1 conv's input is
 * used as it is). Rows are copied as runs: wasm's PadV2 goes element by element (1 ms for 58k floats).
 */
function padded(host: KernelHost, t: Info, paddings: number[][]): Info {
  if (paddings.every(([a, b]) => a === 0 && b === 0)) return host.alias(t, 0, t.shape);
  const [n, h, w, c] = t.shape;
  const [, [top, bottom], [left, right]] = paddings;
  const hp = h + top + bottom;
  const wp = w + left + right;
  const out = host.alloc([n, hp, wp, c]);
  host.view(out).fill(0);
  const copy = host.copier(out, t);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) copy(((b * hp + y + top) * wp + left) * c, (b * h + y) * w * c, w * c);
  return out;
}

/**
 * dy with s-1 zeros between pixels and a border, [n, h + kh - 1, w + kw - 1, c]: a stride-1 'valid'
 * conv of it with the rotated filter is the input gradient. With stride 1 there are no zeros to
 * insert: dy is returned as it is with the border as explicit padding for the conv (XNNPACK pads
 * on the fly, no copy).
 */
export function dilatedDy(host: KernelHost, dy: Info, g: ConvGeometry): { x: Info; pad: number[][] } {
  const top = g.kh - 1 - g.pt;
  const left = g.kw - 1 - g.pl;
  const hd = g.h + g.kh - 1;
  const wd = g.w + g.kw - 1;
  const c = dy.shape[3];
  if (g.sh === 1 && g.sw === 1) return { x: host.alias(dy, 0, dy.shape), pad: [[0, 0], [top, hd - top - g.oh], [left, wd - left - g.ow], [0, 0]] };
  const outInfo = host.alloc([g.n, hd, wd, c]);
  host.view(outInfo).fill(0);
  const copy = host.copier(outInfo, dy);
  let s = 0;
  for (let n = 0; n < g.n; n++) {
    for (let y = 0; y < g.oh; y++) {
      const row = (n * hd + top + g.sh * y) * wd;
      for (let x = 0; x < g.ow; x++, s += c) copy((row + left + g.sw * x) * c, s, c);
    }
  }
  return { x: outInfo, pad: [[0, 0], [0, 0], [0, 0], [0, 0]] };
}
