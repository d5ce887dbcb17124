/** Design-space analysis (RegNet): what `nas designspace` uses, one import for the command. */
export { analyzeDesignSpace, checkBudgetReachable, designSpaceModel, underBudget } from './analysis.js';
export { bootstrapBestRange, percentile } from './bootstrap.js';
export { checkSameEvaluator, compareSpaces } from './compare.js';
export { edfAt, edfCurve, ksDistance } from './edf.js';
export { errorMeasure } from './error.js';
export { readDesignSpaceFile } from './file.js';
export { complexityWeights } from './normalize.js';
export { pickParameters, spaceParameters } from './params.js';
export { renderDesignSpaceReport } from './report.js';
export type { DesignSpaceDoc } from './types.js';
