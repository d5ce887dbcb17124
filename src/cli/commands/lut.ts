/** nas lut show|diff|merge / nas-lut: inspect, compare and combine LUTs. */
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { ms, table } from '../../core/format.js';
import { emit } from '../output.js';
import type { ReferenceDrift, RoundGate } from '../../../devices/types.js';

interface LutArgs {
  json: boolean;
  action: 'show' | 'diff' | 'merge' | 'import';
  format?: 'proxyless' | 'ofa';
  resolution?: number;
  files: string[];
  out?: string;
  force: boolean;
  top: number;
}

/** protocol.referenceDrift as `lut show` prints it (after β), '' without the rule. */
export function driftText(d: ReferenceDrift | undefined): string {
  if (!d) return '';
  return `, and further by its slow drift (median of the last ${d.readings} readings, βs ${d.slope} up to ${d.fromMs} ms → β from ${d.toMs} ms, level ${d.level} R)`;
}

/** protocol.roundGate as `lut show` prints it (after the estimator), '' without a gate. */
function gateText(g: RoundGate | undefined): string {
  if (!g) return '';
  const on = [...(g.waitPct !== undefined ? [`its thread waited > ${g.waitPct}% for a CPU`] : []), ...(g.referenceRatio !== undefined ? [`its reference read > ${g.referenceRatio}× R`] : [])];
  return on.length ? `, round gate: a round retaken when ${on.join(' or ')}` : '';
}

async function show(a: LutArgs): Promise<void> {
  const { readLut } = await import('../../../lut/store.js');
  const { showLut } = await import('../../../lut/show.js');
  const summaries = a.files.map((f) => {
    const lut = readLut(f);
    return { file: f, ...showLut(lut, { top: a.top }), imported: lut.imported };
  });
  emit(a, summaries.length === 1 ? summaries[0] : summaries, () =>
    summaries
      .map((s) => {
        const d = s.device;
        const opts = Object.entries(d.options).map(([k, v]) => `${k}=${v}`).join(' ');
        return [
          `${s.file}  (LUT ${s.id})`,
          `  device    ${d.device}: ${d.runtime} ${d.runtimeVersion}, EP ${d.ep}${opts ? ', ' + opts : ''}${d.adapter ? `, adapter ${d.adapter.vendor} ${d.adapter.architecture}${d.adapter.isFallback ? ' (fallback/software)' : ''}` : ''}`,
          `  host      ${d.host.cpu} (${d.host.cores} cores), ${d.host.os}, node ${d.host.node}`,
          `  protocol  warmup ${s.protocol.warmup}, ${s.protocol.minRepeats}–${s.protocol.maxRepeats} runs, ≤${s.protocol.maxTimeMs} ms/model, CI target ±${(100 * s.protocol.targetCI).toFixed(1)}%${(s.protocol.rounds ?? 1) > 1 ? `; ${s.protocol.rounds} rounds${s.protocol.netRounds !== undefined ? ` (whole nets ${s.protocol.netRounds})` : ''}, estimator ${s.protocol.estimator ?? 'median'}${s.protocol.maxSpread !== undefined ? `, up to ${s.protocol.extraRounds ?? 0} more past ${(100 * s.protocol.maxSpread).toFixed(0)}% spread` : ''}${s.protocol.freshProcess ? ', each pass in a fresh process' : ''}${gateText(s.protocol.roundGate)}` : ''}${s.protocol.reference !== undefined ? `; rounds scaled by the reference ${s.protocol.reference} to R ${s.protocol.referenceMs?.toFixed(4)} ms, β ${(s.protocol.referenceSlope ?? 1).toFixed(3)}${driftText(s.protocol.referenceDrift)}` : ''}${s.protocol.cpu !== undefined ? `; pinned to CPU ${s.protocol.cpu}` : ''}${s.protocol.placement ? ` (last run: rounds on CPU ${s.protocol.placement.measuring.join(',')}${s.protocol.placement.parent ? `, their parent on CPU ${s.protocol.placement.parent.join(',')}` : ''}${s.protocol.placement.helpers ? `, other threads on CPU ${s.protocol.placement.helpers.join(',')}` : ''}${s.protocol.placement.shared ? ', shared' : ''})` : ''}`,
          `  overhead  ${ms(s.overhead.median)} ms (n=${s.overhead.n})`,
          `  entries   ${s.entries} (${Object.entries(s.perKind).map(([k, n]) => `${k} ${n}`).join(', ')}); ${s.unconverged} did not reach the CI target`,
          ...(s.rounds
            ? [
                `  rounds    ${s.rounds.entries} entries in rounds; spread of their round medians: median ${(100 * s.rounds.medianSpread).toFixed(1)}%, largest ${(100 * s.rounds.maxSpread).toFixed(1)}%` +
                  (s.rounds.maxLoad !== undefined ? `; busiest: load ${s.rounds.maxLoad.toFixed(2)}` : '') +
                  (s.rounds.maxStealPct !== undefined ? `, steal ${s.rounds.maxStealPct.toFixed(1)}%` : '') +
                  (s.rounds.setAside
                    ? `; ${s.rounds.setAside.rounds} round${s.rounds.setAside.rounds === 1 ? '' : 's'} of ${s.rounds.setAside.entries} entr${s.rounds.setAside.entries === 1 ? 'y' : 'ies'} set aside and retaken (${Object.entries(s.rounds.setAside.why).map(([w, n]) => `${w} ${n}`).join(', ')})`
                    : ''),
              ]
            : []),
          ...(s.unsteady
            ? [
                `  unsteady  ${s.unsteady.count} entr${s.unsteady.count === 1 ? 'y' : 'ies'} kept while their rounds still called for another (${Object.entries(s.unsteady.why).map(([w, n]) => `${w} ${n}`).join(', ')}); nas profile … --retake measures them again`,
                ...s.unsteady.shown.map((e) => `    ${e.why.padEnd(9)} ${e.setAside} of ${e.rounds} rounds set aside, spread ${e.spread !== undefined ? `${(100 * e.spread).toFixed(1)}%` : '-'}  ${e.key}`),
              ]
            : []),
          `  spaces    ${s.spaces.join(', ') || '-'}; created ${s.createdAt}, updated ${s.updatedAt}`,
          ...(s.imported ? [`  imported  ${s.imported.format} table ${s.imported.file} (${s.imported.source.slice(0, 120)})`, ...s.imported.notes.map((n) => `            ${n}`)] : []),
          `  slowest:`,
          ...s.slowest.map((e) => `    ${ms(e.median).padStart(9)} ms  ${e.key}`),
          '',
        ].join('\n');
      })
      .join('\n'),
  );
}

async function diff(a: LutArgs): Promise<void> {
  const { readLut } = await import('../../../lut/store.js');
  const { diffLuts } = await import('../../../lut/diff.js');
  const [fa, fb] = a.files;
  const d = diffLuts(readLut(fa), readLut(fb));
  emit(a, { a: fa, b: fb, ...d }, () => {
    const lines = [`A = ${fa}`, `B = ${fb}`];
    if (d.device.length) lines.push('device settings differ:', ...d.device.map((x) => `  ${x}`));
    if (d.protocol.length) lines.push('protocol differs:', ...d.protocol.map((x) => `  ${x}`));
    lines.push(`entries: ${d.common.length} common, ${d.onlyA.length} only in A, ${d.onlyB.length} only in B`);
    lines.push(`overhead: A ${ms(d.overhead.a)} ms, B ${ms(d.overhead.b)} ms (B/A ${d.overhead.ratio.toFixed(3)})`);
    if (d.summary) {
      const s = d.summary;
      lines.push(`B/A of medians: geomean ${s.geomean.toFixed(3)}, median ${s.median.toFixed(3)}, p10 ${s.p10.toFixed(3)}, p90 ${s.p90.toFixed(3)}`);
      const rows = [...d.common.slice(0, a.top), ...d.common.slice(-a.top)].filter((e, i, all) => all.indexOf(e) === i);
      lines.push(table(['B/A', 'A ms', 'B ms', 'key'], rows.map((e) => [e.ratio.toFixed(3), ms(e.a), ms(e.b), e.key])));
    }
    return lines.join('\n') + '\n';
  });
}

async function merge(a: LutArgs): Promise<void> {
  const { readLut, writeLut } = await import('../../../lut/store.js');
  const { mergeLuts } = await import('../../../lut/merge.js');
  const { UserError } = await import('../../core/errors.js');
  if (!a.out) throw new UserError('merge needs --out FILE for the merged LUT');
  const result = mergeLuts(a.files.map((f) => readLut(f)), { force: a.force, names: a.files });
  writeLut(a.out, result.lut);
  emit(a, { out: a.out, id: result.lut.id, entries: Object.keys(result.lut.entries).length, fromEach: result.fromEach, conflicts: result.conflicts, rescaled: result.rescaled }, () =>
    [
      ...result.rescaled.map(
        (r) => `${r.name}: brought from its timing reference scale R ${r.fromMs.toFixed(4)} ms to ${a.files[0]}'s ${r.toMs.toFixed(4)} ms (same β: every figure × ${r.factor.toFixed(4)}, exact)`,
      ),
      `wrote ${a.out}: ${Object.keys(result.lut.entries).length} entries (${a.files.map((f, i) => `${result.fromEach[i]} from ${f}`).join(', ')}; ${result.conflicts} keys in several inputs, the better-measured kept)`,
      '',
    ].join('\n'),
  );
}

async function importTable(a: LutArgs): Promise<void> {
  const { writeLut } = await import('../../../lut/store.js');
  const { UserError } = await import('../../core/errors.js');
  if (!a.out) throw new UserError('import needs --out FILE for the LUT it writes');
  if (!a.format) throw new UserError('import needs --format proxyless|ofa (the published table the file holds)');
  const [file] = a.files;
  const lut =
    a.format === 'proxyless'
      ? (await import('../../../lut/import/proxyless.js')).importProxylessLut(file)
      : (await import('../../../lut/import/ofa.js')).importOfaLut(file, { resolution: a.resolution });
  writeLut(a.out, lut);
  const n = Object.keys(lut.entries).length;
  emit(a, { out: a.out, id: lut.id, device: lut.device.device, entries: n, spaces: lut.spaces, notes: lut.imported?.notes ?? [] }, () =>
    `wrote ${a.out}: ${n} entries for ${lut.device.device} (${lut.device.host.cpu}), imported from ${file}; spaces ${lut.spaces.join(', ')}\n`,
  );
}

export const lutCommand: CommandModule<object, LutArgs> = {
  command: 'lut <action> <files..>',
  describe: 'inspect (show), compare (diff A B), combine (merge A B … --out M) LUT files, or import a published one (import --format proxyless|ofa FILE --out L)',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['show', 'diff', 'merge', 'import'] as const, describe: 'what to do' })
      .positional('files', { type: 'string', array: true, describe: 'LUT files' })
      .option('out', { type: 'string', describe: 'merge: file to write' })
      .option('format', { type: 'string', choices: ['proxyless', 'ofa'] as const, describe: 'import: the published table in FILE (ProxylessNAS mobile LUT, Once-for-All Note10 LUT)' })
      .option('resolution', { type: 'number', describe: 'import --format ofa: only the table of this input resolution (default: every table)' })
      .option('force', { type: 'boolean', default: false, describe: 'merge LUTs measured under different settings anyway' })
      .option('top', { type: 'number', default: 5, describe: 'how many entries to list at each end' })
      .check((argv) => {
        const files = argv.files as string[];
        if (argv.action === 'diff' && files.length !== 2) throw new UserError(`lut diff takes exactly two LUT files, got ${files.length}`, { hint: 'nas lut diff A.lut.json B.lut.json' });
        if (argv.action === 'merge' && files.length < 2) throw new UserError(`lut merge takes two or more LUT files, got ${files.length}`, { hint: 'nas lut merge A.lut.json B.lut.json --out M.lut.json' });
        if (argv.action === 'import' && files.length !== 1) throw new UserError(`lut import takes exactly one published table file, got ${files.length}`, { hint: 'nas lut import --format proxyless|ofa FILE --out L.lut.json' });
        return true;
      }) as never,
  handler: async (a) => {
    if (a.action === 'show') return show(a);
    if (a.action === 'diff') return diff(a);
    if (a.action === 'import') return importTable(a);
    return merge(a);
  },
};
