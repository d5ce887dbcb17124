/**
 * The accuracies `nas scale` has measured, kept so that a killed run resumes without scoring anything
 * twice: an evaluator wrapped so that every network is scored once, its accuracy saved (through the
 * caller's `save`, the search checkpoint's atomic writer) as soon as it comes.
 *
 * Entries are keyed by the network's structure (input and layers, not its name: every triple of the grid
 * names its φ = 1 net `<base>-phi1`), so the family's φ = 1 member, the same net as its triple's grid
 * entry, is not scored twice either. The order of evaluations does not matter on resume: scaleFamily
 * asks for the same networks in the same order, and a cached one is answered from the ledger.
 */
import { archToJson } from '../core/arch-file.js';
import type { Architecture } from '../core/arch.js';
import type { AccuracyEvaluator } from '../core/contracts.js';
import { UserError } from '../core/errors.js';
import { contentHash } from '../../lut/journal.js';
import type { CheckpointKind } from '../search/job.js';

export const SCALE_LEDGER_VERSION = 1;

/**
 * nas scale's checkpoint: the search checkpoint's file format with a format name of its own, so a file says
 * which command wrote it. Files written before it had one (labelled as search checkpoints) are still read.
 */
export const SCALE_CHECKPOINT: CheckpointKind = { job: 'compound scaling', format: 'hw-nas-scale-checkpoint', legacyFormats: ['hw-nas-search-checkpoint'] };

export interface ScaleLedgerState {
  version: typeof SCALE_LEDGER_VERSION;
  /** [structure key, accuracy] in the order they were scored. */
  evaluations: [string, number][];
}

/** The key of a network's structure: what its accuracy depends on (the name excluded). */
export function structureKey(arch: Architecture): string {
  const { name: _name, ...structure } = archToJson(arch) as { name?: string };
  return contentHash(JSON.stringify(structure));
}

function parseState(value: unknown, where: string): ScaleLedgerState {
  const bad = (why: string) => new UserError(`${where} is malformed: ${why}`, { hint: `delete ${where} to start over` });
  const s = value as Partial<ScaleLedgerState>;
  if (typeof s !== 'object' || s === null || s.version !== SCALE_LEDGER_VERSION) throw bad(`expected state version ${SCALE_LEDGER_VERSION}`);
  if (!Array.isArray(s.evaluations)) throw bad('"evaluations" must be an array');
  s.evaluations.forEach((e, i) => {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || typeof e[1] !== 'number') throw bad(`evaluation ${i} must be [structure key (string), accuracy (number)]`);
  });
  return s as ScaleLedgerState;
}

export interface LedgeredEvaluator {
  evaluator: AccuracyEvaluator;
  /** Accuracies taken from the saved state. */
  readonly resumed: number;
  /** Networks scored by the evaluator in this run. */
  readonly scored: () => number;
}

/**
 * `evaluator` answering from `saved` (a ScaleLedgerState, or undefined for a fresh run) and saving the
 * whole state after every new score, so a kill loses at most the evaluation in flight.
 */
export function ledgeredEvaluator(evaluator: AccuracyEvaluator, saved: unknown, save: (state: ScaleLedgerState) => void, where = 'the scale checkpoint'): LedgeredEvaluator {
  const state: ScaleLedgerState = saved === undefined ? { version: SCALE_LEDGER_VERSION, evaluations: [] } : parseState(saved, where);
  const known = new Map(state.evaluations);
  const resumed = known.size;
  let scored = 0;
  const wrapped: AccuracyEvaluator = {
    id: evaluator.id,
    get provenance() {
      return evaluator.provenance;
    },
    async evaluate(arch) {
      const key = structureKey(arch);
      const hit = known.get(key);
      if (hit !== undefined) return hit;
      const accuracy = await evaluator.evaluate(arch);
      known.set(key, accuracy);
      state.evaluations.push([key, accuracy]);
      scored++;
      save(state);
      return accuracy;
    },
    dispose: evaluator.dispose && (() => evaluator.dispose!()),
  };
  return { evaluator: wrapped, resumed, scored: () => scored };
}
