/** NIR's settings: from the search command's flags (SearchContext.args) or given directly. */
import { UserError } from '../../core/errors.js';

export interface NirOptions {
  /** Assignments kept per level (the beam; the paper keeps the best one). */
  keep: number;
  /** Training steps of each level's supernet (the children's brief fine-tuning, shared). */
  steps: number;
  /** Training steps of the shallowest assignment (the first supernet). */
  rootSteps: number;
  /** Block option of every kept layer in a layer-wise space (mbv2: k3e6 by default). */
  op?: string;
}

export const NIR_DEFAULTS = { keep: 2, steps: 40, rootSteps: 120 } as const;

const FLAGS: Record<keyof NirOptions, [flag: string, arg: string]> = {
  keep: ['--nir-keep', 'nirKeep'],
  steps: ['--nir-steps', 'nirSteps'],
  rootSteps: ['--nir-root-steps', 'nirRootSteps'],
  op: ['--nir-op', 'nirOp'],
};

export function nirOptions(given: Partial<NirOptions> = {}, args: Readonly<Record<string, unknown>> = {}): NirOptions {
  const pick = (k: keyof NirOptions): unknown => given[k] ?? args[FLAGS[k][1]] ?? (NIR_DEFAULTS as Partial<NirOptions>)[k];
  const int = (k: 'keep' | 'steps' | 'rootSteps') => {
    const v = pick(k);
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw new UserError(`${FLAGS[k][0]} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const op = pick('op');
  if (op !== undefined && !(typeof op === 'string' && op.trim())) throw new UserError(`--nir-op must name a block option (e.g. k3e6), got ${JSON.stringify(op)}`);
  return { keep: int('keep'), steps: int('steps'), rootSteps: int('rootSteps'), op: op as string | undefined };
}
