/** Size arithmetic the catalog's blocks share (a leaf module: the lowerings and ops.ts both use it). */

/** Same-padding convention used everywhere: pad = dilation*(k-1)/2, output = ceil(in / stride). */
export function convOut(size: number, k: number, stride: number, dilation = 1): number {
  const pad = Math.floor((dilation * (k - 1)) / 2);
  return Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
}

/** Channels after an MBConv expansion; fractional ratios (MobileNetV3's 2.3, 2.5) round to the nearest integer. */
export function expandedChannels(cin: number, expand: number): number {
  return Math.max(1, Math.round(cin * expand));
}

/** Channels of the SE bottleneck: ratio of the reference channel count, at least 1. */
export function seChannels(reference: number, ratio: number): number {
  return Math.max(1, Math.round(reference * ratio));
}
