/** `random`: uniform sampling of new feasible architectures; the baseline every strategy must beat. */
import { Rng } from '../../core/rng.js';
import { Evaluations } from '../evaluations.js';
import type { SearchContext, SearchResult, Searcher } from '../types.js';
import { drawRandom } from './operators.js';

export class RandomSearch implements Searcher {
  readonly name = 'random';
  readonly costLimits = true;

  async run(ctx: SearchContext): Promise<SearchResult> {
    const ledger = new Evaluations(ctx);
    const rng = new Rng(ctx.seed);
    while (!ledger.exhausted) {
      const encoding = drawRandom(ledger, ctx.space, rng);
      if (!encoding) break;
      await ledger.evaluate(encoding);
    }
    return ledger.result(this.name);
  }
}
