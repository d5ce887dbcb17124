/** The primitive graph IR: types, the primitive table, shape inference, cost metrics and a builder. */
export * from './types.js';
export { PRIMITIVES, primitiveDef, samePads } from './primitives/index.js';
export type { PrimitiveDef, PrimitiveTable } from './primitives/def.js';
export { inferShapes, nodeOutputs, outputRefs, type ShapeMap } from './infer.js';
export { graphMetrics, type GraphMetrics } from './metrics.js';
export { GraphBuilder, type ConvOptions } from './builder.js';
