/**
 * The evaluation ledger every strategy works through: builds architectures, asks the latency source
 * (cheap, free of budget) and the accuracy evaluator (expensive, one unit of budget per new
 * architecture), memoises both by encoding, and makes searches resumable.
 *
 * Resuming works by replay: the checkpoint is the ordered log of accuracy evaluations. A resumed
 * strategy starts again from its seed and makes the same decisions; the ledger answers its requests
 * from the log (checking each matches) until the log runs out, then evaluates for real. Since
 * strategies are deterministic given their seed and the answers they get, the resumed run ends exactly
 * where an uninterrupted one would, with no strategy needing its own state format.
 */
import { onInterrupt } from '../core/interrupt.js';
import { UserError, isUserError } from '../core/errors.js';
import type { Architecture } from '../core/arch.js';
import { outranks, paretoFront } from './pareto.js';
import { hasLimits, withinLimits } from './constraints.js';
import type { Candidate, LatencyEstimate, SearchContext, SearchResult } from './types.js';

export const CHECKPOINT_STATE_VERSION = 1;

export interface LedgerState {
  version: typeof CHECKPOINT_STATE_VERSION;
  /** [encoding, accuracy] in evaluation order. */
  evaluations: [number[], number][];
}

export interface LedgerOptions {
  /** Save at least every this many new evaluations (default 25)... */
  checkpointEvery?: number;
  /** ...or when this long has passed since the last save (default 2 s), so slow evaluators lose little. */
  checkpointIntervalMs?: number;
}

interface Built {
  arch: Architecture;
  latency: LatencyEstimate;
  /** Within ctx.limits; computed when first asked (metrics cost a graph lowering). */
  withinLimits?: boolean;
}

export function encodingKey(encoding: readonly number[]): string {
  return encoding.join(',');
}

function parseState(value: unknown): LedgerState {
  const bad = (why: string) => new UserError(`search checkpoint state is malformed: ${why}`, { hint: 'delete the checkpoint file to start the search over' });
  const s = value as Partial<LedgerState>;
  if (typeof s !== 'object' || s === null) throw bad('expected an object');
  if (s.version !== CHECKPOINT_STATE_VERSION) throw bad(`unsupported state version ${JSON.stringify(s.version)}`);
  if (!Array.isArray(s.evaluations)) throw bad('"evaluations" must be an array');
  s.evaluations.forEach((e, i) => {
    if (!Array.isArray(e) || e.length !== 2 || !Array.isArray(e[0]) || !e[0].every(Number.isInteger) || typeof e[1] !== 'number')
      throw bad(`evaluation ${i} must be [encoding (integers), accuracy (number)]`);
  });
  return s as LedgerState;
}

export class Evaluations {
  readonly history: Candidate[] = [];
  private readonly built = new Map<string, Built | null>();
  private readonly evaluated = new Map<string, Candidate>();
  private readonly replay: [number[], number][];
  private readonly log: [number[], number][] = [];
  private readonly every: number;
  private readonly intervalMs: number;
  private bestSoFar: Candidate | undefined;
  private unsaved = 0;
  private lastSave = Date.now();

  constructor(
    private readonly ctx: SearchContext,
    opts: LedgerOptions = {},
  ) {
    if (!Number.isInteger(ctx.budget) || ctx.budget < 1) throw new UserError(`search budget must be a positive integer, got ${ctx.budget}`);
    if (ctx.targetMs !== undefined && !(ctx.targetMs > 0)) throw new UserError(`latency target must be a positive number of ms, got ${ctx.targetMs}`);
    const saved = ctx.checkpoint?.load();
    this.replay = saved === undefined ? [] : parseState(saved).evaluations;
    this.every = opts.checkpointEvery ?? 25;
    this.intervalMs = opts.checkpointIntervalMs ?? 2000;
    // Interrupted (Ctrl-C, SIGTERM): save what was evaluated since the last checkpoint.
    if (ctx.checkpoint) this.stopFlushing = onInterrupt(() => this.unsaved > 0 && this.save());
  }

  private readonly stopFlushing?: () => void;

  get used(): number {
    return this.history.length;
  }
  get remaining(): number {
    return this.ctx.budget - this.history.length;
  }
  get exhausted(): boolean {
    return this.history.length >= this.ctx.budget;
  }
  get targetMs(): number | undefined {
    return this.ctx.targetMs;
  }

  /** Architecture and latency, or undefined when the space rejects the vector. Free: no budget. */
  private build(encoding: readonly number[]): Built | undefined {
    const key = encodingKey(encoding);
    let hit = this.built.get(key);
    if (hit === undefined) {
      let arch: Architecture;
      try {
        arch = this.ctx.space.build(encoding);
      } catch (e) {
        if (!isUserError(e)) throw e;
        this.built.set(key, null);
        return undefined;
      }
      hit = { arch, latency: this.ctx.latency.latency(arch) };
      this.built.set(key, hit);
    }
    return hit ?? undefined;
  }

  latency(encoding: readonly number[]): LatencyEstimate | undefined {
    return this.build(encoding)?.latency;
  }

  get hasLimits(): boolean {
    return hasLimits(this.ctx.limits);
  }

  /** Valid in the space and, when there is a target or cost limits, within them. */
  feasible(encoding: readonly number[]): boolean {
    const built = this.build(encoding);
    if (built === undefined || (this.ctx.targetMs !== undefined && built.latency.ms > this.ctx.targetMs)) return false;
    if (!hasLimits(this.ctx.limits)) return true;
    built.withinLimits ??= withinLimits(built.arch, this.ctx.limits);
    return built.withinLimits;
  }

  /** Already evaluated for accuracy (asking again is free). */
  seen(encoding: readonly number[]): Candidate | undefined {
    return this.evaluated.get(encodingKey(encoding));
  }

  /**
   * The candidate for `encoding`: memoised, else evaluated for accuracy at the cost of one unit of
   * budget. Undefined when the space rejects the vector or the budget is spent.
   */
  async evaluate(encoding: readonly number[]): Promise<Candidate | undefined> {
    const known = this.seen(encoding);
    if (known) return known;
    const built = this.build(encoding);
    if (!built || this.exhausted) return undefined;
    const accuracy = await this.accuracy(encoding, built.arch);
    const candidate: Candidate = { encoding: [...encoding], name: built.arch.name, accuracy, latency: built.latency };
    this.evaluated.set(encodingKey(encoding), candidate);
    this.history.push(candidate);
    if (this.better(candidate, this.bestSoFar)) this.bestSoFar = candidate;
    this.ctx.onProgress?.({ done: this.used, total: this.ctx.budget, best: this.bestSoFar });
    return candidate;
  }

  private async accuracy(encoding: readonly number[], arch: Architecture): Promise<number> {
    const i = this.log.length;
    let accuracy: number;
    if (i < this.replay.length) {
      const [logged, value] = this.replay[i];
      if (encodingKey(logged) !== encodingKey(encoding))
        throw new UserError(
          `the checkpoint does not match this search: evaluation ${i + 1} was [${logged}] in the checkpoint but the search asked for [${encoding}]`,
          { hint: 'it was written by a search with other settings; delete the checkpoint to start over' },
        );
      accuracy = value;
    } else {
      accuracy = await this.ctx.evaluator.evaluate(arch);
      if (!Number.isFinite(accuracy))
        throw new UserError(`evaluator '${this.ctx.evaluator.id}' returned ${accuracy} for '${arch.name}'; an accuracy must be a finite number`);
      this.unsaved++;
    }
    this.log.push([[...encoding], accuracy]);
    if (this.unsaved >= this.every || (this.unsaved > 0 && Date.now() - this.lastSave >= this.intervalMs)) this.save();
    return accuracy;
  }

  /** Writes the log through ctx.checkpoint (a no-op without one). */
  save(): void {
    if (!this.ctx.checkpoint) return;
    const state: LedgerState = { version: CHECKPOINT_STATE_VERSION, evaluations: this.log };
    this.ctx.checkpoint.save(state);
    this.unsaved = 0;
    this.lastSave = Date.now();
  }

  /** Most accurate candidate within the target (any, without one); ties go to the faster. */
  best(): Candidate | undefined {
    return this.bestSoFar;
  }

  private better(c: Candidate, than: Candidate | undefined): boolean {
    if (this.ctx.targetMs !== undefined && c.latency.ms > this.ctx.targetMs) return false;
    if (hasLimits(this.ctx.limits) && !this.feasible(c.encoding)) return false;
    return outranks(c, than);
  }

  result(strategy: string): SearchResult {
    this.save();
    this.stopFlushing?.();
    const front = paretoFront(this.history.map((c) => ({ c, accuracy: c.accuracy, latencyMs: c.latency.ms }))).map((p) => p.c);
    return { strategy, front, history: [...this.history], best: this.best() };
  }
}
