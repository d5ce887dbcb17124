/** In-memory image classification data as the loaders return it and as training consumes it. */

/** Raw images as stored: one byte per channel value, NHWC. */
export interface ImageSet {
  /** Data set id, e.g. "fashion-mnist". */
  name: string;
  /** Which part of the data set: "train" or "test". */
  part: DataPart;
  /** Where the bytes came from (a directory). */
  source: string;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  classNames: readonly string[];
  /** count x height x width x channels bytes (NHWC). */
  pixels: Uint8Array;
  /** count labels in [0, classes). */
  labels: Uint8Array;
}

export type DataPart = 'train' | 'test';

/** Float samples ready for training: normalised, NHWC (the layout the training engine runs in). */
export interface Samples {
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** count x height x width x channels floats (NHWC). */
  x: Float32Array;
  labels: Uint8Array;
}
