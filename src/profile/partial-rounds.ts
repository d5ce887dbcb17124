/** The rounds file beside a LUT lives in lut/partial-rounds.ts, shared with the ONNX unit profiler (src/onnx/profile-units.ts). */
export { PartialRounds } from '../../lut/partial-rounds.js';
