/**
 * nas export / nas-export: write an architecture as an ONNX file (deterministic random weights), or,
 * with --front, chosen members of a front into a folder, each with a sidecar JSON (src/verify/front-export.ts).
 */
import { writeFileAtomic } from '../../core/atomic-file.js';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { emit } from '../output.js';
import { archSourceOptions, resolveArchitectures, type ArchSourceArgs } from './common.js';

interface ExportArgs extends ArchSourceArgs {
  json: boolean;
  out: string;
  weightSeed: number;
  front?: string;
  select?: string;
}

export function writeOutput(file: string, bytes: Uint8Array | string): void {
  writeFileAtomic(file, bytes, file, { hint: 'choose a writable --out path' });
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'export an architecture (file, published net or random member of a space) to ONNX',
  builder: (y) =>
    archSourceOptions(y, { single: true })
      .option('out', { type: 'string', demandOption: true, describe: 'ONNX file to write' })
      .option('weight-seed', { type: 'number', default: 0, describe: 'seed of the deterministic random weights' })
      .option('front', { type: 'string', describe: 'export members of this front file (from nas search); --out is then a folder' })
      .option('select', { type: 'string', describe: 'with --front: all (default), best, index=N (as nas search numbers them, from 1) or best-under=5ms' })
      .example('$0 export --published MobileNetV2-1.0 --out mbv2.onnx', '')
      .example('$0 export --front front.json --select best-under=5ms --out nets/', 'the most accurate member predicted within 5 ms, with a sidecar JSON')
      .example('$0 export --space mbv2 --random 1 --seed 3 --resolution 96 --out net.onnx', '') as never,
  handler: async (a) => {
    if (a.front !== undefined || a.select !== undefined) return exportFront(a);
    const random = a.random as number | undefined;
    if (random !== undefined && random !== 1) throw new UserError('nas export writes one network: use --random 1 (or --random) with --seed K');
    const [arch] = await resolveArchitectures({ ...a, random });
    const { networkModel } = await import('../../../export/model.js');
    const model = networkModel(arch, { seed: a.weightSeed });
    writeOutput(a.out, model.onnx);
    const { writeArchFile } = await import('../../core/arch-file.js');
    const sidecar = a.out.replace(/\.onnx$/i, '') + '.arch.json';
    writeArchFile(sidecar, arch);
    const { archMetrics, formatCount } = await import('../../core/arch-metrics.js');
    const metrics = archMetrics(arch);
    emit(a, { out: a.out, architecture: sidecar, name: arch.name, bytes: model.onnx.length, input: model.inputs, metrics }, () =>
      `wrote ${a.out} (${(model.onnx.length / 1024).toFixed(0)} KiB, input ${model.inputs.map((i) => i.shape.join('x')).join(', ')}; ` +
        `${formatCount(metrics.macs)} MACs, ${formatCount(metrics.params)} params, ${formatCount(metrics.activations)} activations) and ${sidecar}\n`,
    );
  },
};

/** --front F --select S --out DIR: the chosen members as DIR/member-<#>.onnx + DIR/member-<#>.json. */
async function exportFront(a: ExportArgs): Promise<void> {
  if (a.front === undefined) throw new UserError('--select chooses members of a front: give the front file with --front FILE');
  if (a.arch !== undefined || a.published !== undefined || a.random !== undefined)
    throw new UserError('--front exports members of a front: leave out --arch, --published and --random');
  if (/\.onnx$/i.test(a.out)) throw new UserError(`with --front, --out is a folder (one ONNX file and one JSON per member), got ${a.out}`, { hint: 'e.g. --out nets/' });
  const [{ readFrontFile }, { parseSelection, selectMembers, exportFrontMembers }] = await Promise.all([
    import('../../search/front-file.js'),
    import('../../verify/front-export.js'),
  ]);
  const selection = parseSelection(a.select ?? 'all');
  const front = readFrontFile(a.front);
  const nets = exportFrontMembers(front, a.front, selectMembers(front, selection), a.out, a.weightSeed);
  const { formatCount } = await import('../../core/arch-metrics.js');
  emit(a, { front: a.front, out: a.out, select: a.select ?? 'all', nets }, () =>
    nets
      .map(
        (n) =>
          `wrote ${n.onnx} (${(n.bytes / 1024).toFixed(0)} KiB; #${n.index}, accuracy ${n.accuracy.toFixed(3)}, predicted ${n.predictedMs.toPrecision(4)} ms, ` +
          `${formatCount(n.metrics.macs)} MACs, ${formatCount(n.metrics.params)} params, ${formatCount(n.metrics.activations)} activations) and ${n.sidecar}\n`,
      )
      .join(''),
  );
}
