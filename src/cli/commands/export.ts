/** nas export / nas-export: write an architecture as an ONNX file (deterministic random weights). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { emit } from '../output.js';
import { archSourceOptions, resolveArchitectures } from './common.js';

interface ExportArgs {
  json: boolean;
  out: string;
  arch?: string;
  published?: string;
  space?: string;
  random?: number | boolean;
  seed: number;
  resolution?: number;
  weightSeed: number;
}

export function writeOutput(file: string, bytes: Uint8Array | string): void {
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeFileSync(file, bytes);
  } catch (e) {
    throw new UserError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'choose a writable --out path' });
  }
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'export an architecture (file, published net or random member of a space) to ONNX',
  builder: (y) =>
    archSourceOptions(y, { single: true })
      .option('out', { type: 'string', demandOption: true, describe: 'ONNX file to write' })
      .option('weight-seed', { type: 'number', default: 0, describe: 'seed of the deterministic random weights' })
      .example('$0 export --published MobileNetV2-1.0 --out mbv2.onnx', '')
      .example('$0 export --space mbv2 --random 1 --seed 3 --resolution 96 --out net.onnx', '') as never,
  handler: async (a) => {
    const random = a.random as number | undefined;
    if (random !== undefined && random !== 1) throw new UserError('nas export writes one network: use --random 1 (or --random) with --seed K');
    const [arch] = await resolveArchitectures({ ...a, random });
    const { networkModel } = await import('../../../export/model.js');
    const model = networkModel(arch, { seed: a.weightSeed });
    writeOutput(a.out, model.onnx);
    const { writeArchFile } = await import('../../core/arch-file.js');
    const sidecar = a.out.replace(/\.onnx$/i, '') + '.arch.json';
    writeArchFile(sidecar, arch);
    emit(a, { out: a.out, architecture: sidecar, name: arch.name, bytes: model.onnx.length, input: model.inputs }, () =>
      `wrote ${a.out} (${(model.onnx.length / 1024).toFixed(0)} KiB, input ${model.inputs.map((i) => i.shape.join('x')).join(', ')}) and ${sidecar}\n`,
    );
  },
};
