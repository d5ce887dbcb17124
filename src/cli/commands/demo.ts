/**
 * nas demo (`npm run demo`): the whole pipeline in one command, on the default CPU device unless told
 * otherwise. Each step is a real `nas` command, echoed as `$ nas …` and run by calling that command's function, so the
 * demo doubles as a tutorial: profile a space into a LUT → derive a latency target from the LUT (the
 * median of random nets) → search under it → export the winner and the front → verify them on the
 * device → HTML report. Every step is resumable, so a demo stopped half-way continues when run again.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { isUserError, UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { ms } from '../../core/format.js';
import { emit, log } from '../output.js';
import { commandArgs } from '../parser.js';
import { deviceOptions, toDeviceOptions, type DeviceArgs } from './common.js';
import { exportCommand } from './export.js';
import { profileCommand } from './profile.js';
import { searchCommand } from './search.js';
import { verifyAndReport, verifyCommand } from './verify.js';
import type { VerifyResult } from '../../verify/types.js';

interface DemoArgs extends DeviceArgs {
  json: boolean;
  config?: string;
  outDir: string;
  space: string;
  resolution?: number;
  evaluator: string;
  strategy: string;
  budget: number;
  seed: number;
  calibrate: number;
  targetMs?: number;
  targetSample: number;
  warmup: number;
  minRepeats: number;
  maxRepeats: number;
  maxTimeMs: number;
  targetCi: number;
}

const STEPS = 5;

/** The device flags as the user gave them, to pass on to each step. */
function deviceFlags(a: DemoArgs): string[] {
  const flags = ['--device', a.device];
  if (a.threads !== undefined) flags.push('--threads', String(a.threads));
  if (a.graphOpt !== undefined) flags.push('--graph-opt', a.graphOpt);
  if (a.browser !== undefined) flags.push('--browser', a.browser);
  if (a.browserEndpoint !== undefined) flags.push('--browser-endpoint', a.browserEndpoint);
  if (a.serve) flags.push('--serve');
  if (a.host !== undefined) flags.push('--host', a.host);
  if (a.port !== undefined) flags.push('--port', String(a.port));
  for (const kv of a.deviceOpt ?? []) flags.push('--device-opt', kv);
  return flags;
}

function protocolFlags(a: DemoArgs): string[] {
  return ['--warmup', a.warmup, '--min-repeats', a.minRepeats, '--max-repeats', a.maxRepeats, '--max-time-ms', a.maxTimeMs, '--target-ci', a.targetCi].map(String);
}

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function step(n: number, what: string): void {
  log(`\n[${n}/${STEPS}] ${what}`);
}

/**
 * One step: echoes `nas <flags>`, turns the flags into the command's arguments (its defaults and
 * nas.config.json applied, as on the command line) and calls the command's own function. Under --json
 * the step's result goes to stderr, so stdout holds the demo's one document.
 */
async function nas<A>(command: CommandModule<object, A>, flags: string[], a: DemoArgs, run?: (args: A) => Promise<unknown>): Promise<unknown> {
  const name = String(command.command).split(' ')[0];
  log(`$ nas ${[name, ...flags].map(quote).join(' ')}`);
  const args = { ...(await commandArgs(command, [...flags, ...(a.config === undefined ? [] : ['--config', a.config])])), ...(a.json ? { print: (t: string) => void process.stderr.write(t) } : {}) };
  try {
    return await (run ?? ((x: A) => Promise.resolve(command.handler(x as never))))(args);
  } catch (e) {
    if (!isUserError(e)) throw e;
    throw new UserError(`the demo stopped at nas ${name}: ${e.message}`, {
      hint: `${e.hint ? `${e.hint}; then ` : ''}run the demo again: the LUT, the search and the measurements made so far are reused`,
      exitCode: e.exitCode,
    });
  }
}

/** Median predicted latency of `n` seeded random nets of the space: a target that half the space meets. */
async function medianRandomLatency(lutPath: string, spaceId: string, resolution: number | undefined, n: number, seed: number): Promise<number> {
  const [{ readLut }, { predict }, { createSpace }] = await Promise.all([import('../../../lut/store.js'), import('../../predict/predictor.js'), import('../../spaces/registry.js')]);
  const lut = readLut(lutPath);
  const space = createSpace(spaceId, { resolution });
  const rng = new Rng(seed);
  const values = Array.from({ length: n }, () => predict(lut, space.build(space.sample(rng))).ms).sort((x, y) => x - y);
  const mid = Math.floor(values.length / 2);
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

function checkArgs(a: DemoArgs): void {
  for (const [flag, v, min] of [
    ['--budget', a.budget, 1],
    ['--target-sample', a.targetSample, 1],
    ['--calibrate', a.calibrate, 0],
  ] as const)
    if (!Number.isInteger(v) || v < min) throw new UserError(`${flag} must be an integer ≥ ${min}, got ${v}`);
  if (a.targetMs !== undefined && !(a.targetMs > 0)) throw new UserError(`--target-ms must be a positive number of milliseconds, got ${a.targetMs}`);
  if (!a.outDir.trim()) throw new UserError('--out-dir must name a folder, e.g. --out-dir out/demo');
  toDeviceOptions(a); // malformed --device-opt fails now, not after profiling
}

export async function runDemo(a: DemoArgs): Promise<void> {
  checkArgs(a);
  // One intra-op thread on the CPU unless told otherwise: with several threads, anything else running
  // on a small machine skews end-to-end timings far more than one-op timings, and the demo's
  // comparison would show the machine's load instead of the LUT's accuracy.
  if ((a.device === 'cpu' || a.device === 'ort-cpu') && a.threads === undefined) a = { ...a, threads: 1 };
  const started = Date.now();
  const { checkWritable } = await import('../../verify/output-paths.js');
  const { readLut } = await import('../../../lut/store.js');
  const out = (name: string) => path.join(a.outDir, name);
  const res = a.resolution ?? (a.space === 'mbv2' ? 64 : undefined);
  const label = `${a.space}${res === undefined ? '' : `@${res}`}`;
  const files = {
    lut: out(`${a.device}-${a.space}${res === undefined ? '' : `-${res}`}.lut.json`),
    front: out('front.json'),
    winner: out('winner'),
    frontNets: out('front'),
    report: out('report.html'),
    csv: out('verify.csv'),
    state: out('front.verify.json'),
  };
  checkWritable(files.front, '--out-dir');
  const resFlags = res === undefined ? [] : ['--resolution', String(res)];
  log(`hw-nas demo: ${label} on ${a.device}, ${a.evaluator} accuracy, ${a.strategy} search of ${a.budget} nets; files go to ${a.outDir}/`);

  const verify = await (async () => {
    // A LUT calibrated by an earlier run keeps its calibration (or the plain sum, when that run refused
    // the fit: calibrationRefused), so the target, the search and the measurements of that run are all reused.
    const calibrated = existsSync(files.lut) && ((l) => l.calibration !== undefined || l.calibrationRefused !== undefined)(readLut(files.lut));
    const calibrate = calibrated ? 0 : a.calibrate;
    step(
      1,
      `profile every op of ${label} on ${a.device} into a LUT${calibrate ? `, then calibrate it on ${calibrate} whole nets` : calibrated ? ' (calibration already decided: delete it to start over)' : ''} (resumable: a re-run measures only what is missing)`,
    );
    await nas(profileCommand, [...deviceFlags(a), '--space', a.space, ...resFlags, '--calibrate', String(calibrate), ...protocolFlags(a), '--out', files.lut], a);

    let target = a.targetMs;
    if (target === undefined) {
      target = Number((await medianRandomLatency(files.lut, a.space, res, a.targetSample, a.seed + 1)).toPrecision(3));
      step(2, `search under ${target} ms, the median predicted latency of ${a.targetSample} random ${label} nets`);
    } else step(2, `search under ${target} ms`);
    await nas(
      searchCommand,
      ['--space', a.space, ...resFlags, '--lut', files.lut, '--evaluator', a.evaluator, '--strategy', a.strategy, '--budget', String(a.budget), '--seed', String(a.seed), '--target-ms', String(target), '--out', files.front],
      a,
    );

    step(3, 'export the winner and every member of the front to ONNX, each with a sidecar JSON');
    const { readFrontFile } = await import('../../search/front-file.js');
    if (readFrontFile(files.front).best !== null) await nas(exportCommand, ['--front', files.front, '--select', 'best', '--out', files.winner], a);
    else log(`no net of the front is within ${target} ms: no winner to export`);
    await nas(exportCommand, ['--front', files.front, '--select', 'all', '--out', files.frontNets], a);

    step(4, `measure every member of the front end to end on ${a.device} and compare with the LUT's predictions`);
    // The verify result itself, not its printout: failed checks or nets that did not run still end the demo normally.
    const result = (await nas(
      verifyCommand,
      [...deviceFlags(a), '--front', files.front, '--state', files.state, ...protocolFlags(a), '--report', files.report, '--csv', files.csv],
      a,
      verifyAndReport,
    )) as VerifyResult;
    const { renderVerify } = await import('../../verify/render.js');
    (a.json ? process.stderr : process.stdout).write(renderVerify(result, { report: files.report, csv: files.csv }));
    return result;
  })();

  step(5, 'summary');
  const seconds = (Date.now() - started) / 1000;
  emit(a, { seconds, outDir: a.outDir, files, summary: summaryDoc(verify) }, () => summaryText(verify, files, seconds));
}

function winnerOf(v: VerifyResult) {
  return v.members.find((m) => m.name === v.front.best);
}

function summaryDoc(v: VerifyResult) {
  const w = winnerOf(v);
  return {
    target: v.targetMs,
    nets: v.members.length,
    agreement: v.summary.agreement,
    winner: w ? { index: w.index, name: w.name, accuracy: w.accuracy, predictedMs: w.predicted.ms, measuredMs: w.measured?.median ?? null } : null,
    bestMeasured: v.summary.bestMeasured,
    dropped: v.summary.dropped.length,
    failed: v.summary.failed,
  };
}

/** Total size of the files in `dir`, MiB. */
function mib(dir: string): string {
  const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
  return (bytes / 2 ** 20).toFixed(0);
}

function summaryText(v: VerifyResult, files: Record<string, string>, seconds: number): string {
  const w = winnerOf(v);
  const a = v.summary.agreement;
  const rows: [string, string, string][] = [
    ['LUT', files.lut, `${v.prediction.source === 'lut' ? v.prediction.lutId : ''}`],
    ['front', files.front, `${v.members.length} nets${v.targetMs === null ? '' : ` predicted within ${v.targetMs} ms`}`],
    ...(w
      ? [['winner (ONNX)', path.join(files.winner, `member-${w.index}.onnx`), `+ member-${w.index}.json; ${v.accuracyLabel.split(' (')[0]} ${w.accuracy.toFixed(3)}, predicted ${ms(w.predicted.ms)} ms${w.measured ? `, measured ${ms(w.measured.median)} ms` : ''}`] as [string, string, string]]
      : []),
    ['front (ONNX)', path.join(files.frontNets, 'member-<#>.onnx'), `${v.members.length} nets (${mib(files.frontNets)} MiB), each with a sidecar .json`],
    ['report', files.report, 'open it in a browser (self-contained, works offline)'],
    ['CSV', files.csv, 'one row per net'],
    ['measurements', files.state, 'reused when the demo or nas verify runs again'],
  ];
  const width = Math.max(...rows.map((r) => r[1].length));
  const lines = [`demo finished in ${seconds.toFixed(0)} s; the files:`, ...rows.map(([k, f, note]) => `  ${k.padEnd(14)} ${f.padEnd(width)}  ${note}`)];
  if (a)
    lines.push(
      `prediction vs measurement on ${v.device.device}: ${Math.round((a.within10 * a.n) / 100)}/${a.n} nets within ±10%, mean |error| ${a.meanAbsErrorPct.toFixed(1)}%, ` +
        `Kendall τ ${Number.isFinite(a.kendallTau) ? a.kendallTau.toFixed(2) : 'n/a'}; ${v.summary.dropped.length} of ${a.n} drop off the front on measured latency`,
    );
  const best = v.members.find((m) => m.name === v.summary.bestMeasured);
  if (best) lines.push(`best ${v.targetMs === null ? '' : `within ${v.targetMs} ms `}on measured latency: #${best.index} (${best.accuracy.toFixed(3)} at ${ms(best.measured!.median)} ms)${w && best !== w ? `; the search picked #${w.index}` : ''}`);
  lines.push(`next: open ${files.report}, or run the same commands with your own space, device and evaluator (see docs/verify.md)`);
  return lines.join('\n') + '\n';
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe: 'the whole pipeline on this machine in a few minutes: profile → search under a target → export → verify → HTML report',
  builder: (y) =>
    deviceOptions(y)
      .option('out-dir', { type: 'string', default: 'out/demo', describe: 'folder for every file the demo writes' })
      .option('space', { type: 'string', default: 'mbv2', describe: 'search space (mbv2 at 64 px by default; nb201 with --evaluator table for NAS-Bench-201 accuracies)' })
      .option('resolution', { type: 'number', describe: 'input resolution (default: 64 for mbv2, the space default otherwise)' })
      .option('evaluator', { type: 'string', default: 'proxy', describe: 'accuracy: proxy (NASWOT score, any space) or table (NAS-Bench-201, nb201 only)' })
      .option('strategy', { type: 'string', default: 'nsga2', describe: 'search strategy' })
      .option('budget', { type: 'number', default: 200, describe: 'architectures the search evaluates' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed of the search and of the target sample' })
      .option('calibrate', { type: 'number', default: 20, describe: 'whole nets measured to calibrate the LUT (0 = off)' })
      .option('target-ms', { type: 'number', describe: 'latency target (default: the median predicted latency of --target-sample random nets)' })
      .option('target-sample', { type: 'number', default: 200, describe: 'random nets whose median predicted latency is the default target' })
      .option('warmup', { type: 'number', default: 10, describe: 'untimed runs before measuring' })
      .option('min-repeats', { type: 'number', default: 20, describe: 'minimum timed runs per model' })
      .option('max-repeats', { type: 'number', default: 2000, describe: 'maximum timed runs per model' })
      .option('max-time-ms', { type: 'number', default: 1000, describe: 'time limit per model (ms)' })
      .option('target-ci', { type: 'number', default: 0.02, describe: "stop when the median's 95% CI half-width is within this fraction" })
      .example('$0 demo', 'about a minute or two on 2 CPU cores (one onnxruntime thread unless --threads is given); files in out/demo/')
      .example('$0 demo --device webgpu', 'the same on WebGPU in Chromium') as never,
  handler: (a) => runDemo(a),
};
