/**
 * Running ONNX conformance cases on a device. A device takes part by providing a ConformanceRunner —
 * "run this model on these inputs, give me the outputs" — so in-process runtimes and browser pages
 * (which serialise the call to their page) plug in the same way.
 */
import type { ConformanceCase } from './cases.js';
import { mismatch, type Tolerance } from './compare.js';
import type { TensorData } from './tensor.js';

export type ConformanceRunner = (onnx: Uint8Array, feeds: Record<string, TensorData>) => Promise<Record<string, TensorData>>;

/** Thrown by a runner when its device cannot run the model at all (e.g. the EP lacks an op): the case is skipped, not failed. */
export class ConformanceSkip extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ConformanceSkip';
  }
}

export type CaseStatus = 'passed' | 'failed' | 'skipped';

export interface CaseResult {
  name: string;
  status: CaseStatus;
  opTypes: string[];
  /** Why it failed or was skipped. */
  reason?: string;
}

export interface ConformanceReport {
  device: string;
  tolerance: Tolerance;
  passed: number;
  failed: number;
  skipped: number;
  results: CaseResult[];
}

async function runCase(c: ConformanceCase, runner: ConformanceRunner, tol: Tolerance): Promise<Omit<CaseResult, 'name' | 'opTypes'>> {
  if (c.unrunnable) return { status: 'skipped', reason: c.unrunnable };
  for (const [k, set] of c.dataSets.entries()) {
    let outputs: Record<string, TensorData>;
    try {
      outputs = await runner(c.onnx, set.inputs);
    } catch (e) {
      if (e instanceof ConformanceSkip) return { status: 'skipped', reason: e.message };
      return { status: 'failed', reason: `data set ${k}: ${(e as Error).message.split('\n')[0]}` };
    }
    for (const [name, expected] of Object.entries(set.outputs)) {
      const actual = outputs[name];
      if (!actual) return { status: 'failed', reason: `data set ${k}: no output '${name}' (got ${Object.keys(outputs).join(', ') || 'none'})` };
      const why = mismatch(actual, expected, tol);
      if (why) return { status: 'failed', reason: `data set ${k}, output '${name}': ${why}` };
    }
  }
  return { status: 'passed' };
}

/** Runs every case in order (one at a time: runtimes here are not re-entrant) and counts the outcomes. */
export async function runConformance(device: string, runner: ConformanceRunner, cases: readonly ConformanceCase[], tolerance: Tolerance): Promise<ConformanceReport> {
  const results: CaseResult[] = [];
  for (const c of cases) results.push({ name: c.name, opTypes: c.opTypes, ...(await runCase(c, runner, tolerance)) });
  const count = (s: CaseStatus) => results.filter((r) => r.status === s).length;
  return { device, tolerance, passed: count('passed'), failed: count('failed'), skipped: count('skipped'), results };
}
