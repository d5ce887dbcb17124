/**
 * What "error" means for an evaluator's score, so every evaluator gives an error EDF: accuracy in percent
 * (table, train, supernet) → 100 − accuracy; the command evaluator's printed figure → its range's top
 * minus the figure; a zero-cost proxy's score (larger is better, not a percentage) → −score. Only the
 * order of errors matters to an EDF comparison and a bootstrap, and it is kept in every case.
 */
export interface ErrorMeasure {
  /** Axis label of the error. */
  label: string;
  /** error = top − score. */
  top: number;
}

export function errorMeasure(provenance: Readonly<Record<string, unknown>>): ErrorMeasure {
  const kind = provenance.kind;
  if (kind === 'table' || kind === 'train' || kind === 'supernet') return { label: 'error (%) = 100 − accuracy', top: 100 };
  if (kind === 'command') {
    const range = provenance.range as [number, number] | undefined;
    const hi = range?.[1] ?? 100;
    return { label: `error = ${hi} − the command's figure`, top: hi };
  }
  if (kind === 'proxy') return { label: `−${String(provenance.metric ?? 'proxy')} score (zero-cost proxy; lower is better)`, top: 0 };
  return { label: 'error = −score', top: 0 };
}
