/**
 * The models a profile builds only to time them: a LUT entry's one-op model, and the export options of its
 * calibration networks. A device that never runs a model (Device.needsWeights false: the mock, which reads the
 * ops and the ONNX bytes' length only) gets zero weights instead of generated ones: the same tensors, so the same
 * length and the same figures, without drawing a pseudo-random number per weight. Every other device gets the
 * seeded weights it always got.
 */
import type { Device, ModelUnderTest } from '../../devices/types.js';
import { opModel, type ExportOptions } from '../../export/model.js';
import type { OpInstance } from '../core/ops.js';

/** Export options of a model built only to be timed on `device`. */
export function timingExportOptions(device: Pick<Device, 'needsWeights'>, seed = 0): ExportOptions {
  return device.needsWeights === false ? { seed, zeroWeights: true } : { seed };
}

/** The one-op model of `inst` the profiler times on `device`. */
export function entryModel(device: Pick<Device, 'needsWeights'>, inst: OpInstance, seed = 0): ModelUnderTest {
  return opModel(inst, timingExportOptions(device, seed));
}
