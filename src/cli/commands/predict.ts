/** nas predict / nas-predict: an architecture's latency from a LUT, with the per-block breakdown. */
import { existsSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { UserError } from '../../core/errors.js';
import { ms, table } from '../../core/format.js';
import { emit, log } from '../output.js';
import { onnxOptions, predictOnnxFiles } from './onnx-units.js';
import { archSourceOptions, deviceOptions, protocolOptions, resolveArchitectures, toDeviceOptions, toProtocol, type DeviceArgs, type ProtocolArgs } from './common.js';
import type { OwnLayoutMode, Prediction } from '../../predict/predictor.js';
import { formatCount } from '../../core/format.js';
import type { GraphMetrics } from '../../core/arch-metrics.js';

interface PredictArgs extends DeviceArgs, ProtocolArgs {
  json: boolean;
  lut: string;
  arch?: string;
  published?: string;
  space?: string;
  random?: number;
  seed: number;
  resolution?: number;
  profileMissing: boolean;
  onnx?: string[];
  inputShape?: string[];
  top: number;
  inFile: boolean;
  ownLayout: OwnLayoutMode;
}

function render(p: Prediction, m: GraphMetrics, withBlocks: boolean): string {
  const head =
    `${p.name}: ${ms(p.ms)} ms predicted (95% CI ${ms(p.ci95[0])}–${ms(p.ci95[1])}, run-to-run std ${ms(p.std)}), overhead ${ms(p.overheadMs)} ms; ` +
    `${formatCount(m.macs)} MACs, ${formatCount(m.params)} params, ${formatCount(m.activations)} activations\n`;
  if (!withBlocks) return head;
  const rows = p.blocks.map((b) => [b.layerIndex, b.role, b.key, ms(b.ms), `${((100 * b.ms) / p.ms).toFixed(1)}%`]);
  return head + table(['layer', 'role', 'op', 'ms', 'share'], rows) + '\n';
}

export const predictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict',
  describe: "predict an architecture's latency from a LUT (overhead + sum of its blocks)",
  builder: (y) =>
    onnxOptions(protocolOptions(deviceOptions(archSourceOptions(y))))
      .option('top', { type: 'number', default: 20, describe: '--onnx: how many of the slowest units to list' })
      .option('in-file', { type: 'boolean', default: true, describe: "--onnx: add the LUT's in-file fit when it has one (--no-in-file: the units as timed alone)" })
      .option('lut', { type: 'string', demandOption: true, describe: 'LUT file' })
      .option('profile-missing', { type: 'boolean', default: false, describe: 'measure missing LUT entries now (on --device, which must match the LUT) and add them' })
      .option('own-layout', {
        choices: ['keep', 'edges', 'all'] as const,
        default: 'keep' as const,
        describe: "ort-cpu LUTs: count each entry without the NCHWc reorders its one-unit model ran (at its edges, or all); plain sum only (docs/benchmarks.md)",
      })
      .example('$0 predict --lut cpu.lut.json --published MobileNetV2-1.0 --resolution 96', '')
      .example('$0 predict --lut cpu.lut.json --space mbv2 --resolution 96 --random 5 --seed 1', '')
      .example('$0 predict --lut cpu.lut.json --onnx det.onnx --input-shape x=1x3x640x640 --profile-missing --device cpu --threads 1', '') as never,
  handler: async (a) => {
    if (a.onnx?.length) {
      if (!existsSync(a.lut) && !a.profileMissing) {
        const shapes = (a.inputShape ?? []).map((s) => ` --input-shape ${s}`).join('');
        throw new UserError(`LUT file ${a.lut} does not exist`, {
          hint: `measure the file's units into it: nas profile --onnx ${a.onnx.join(' ')}${shapes} --device cpu --threads 1 --out ${a.lut} (or add --profile-missing --device D to this command)`,
        });
      }
      if (a.profileMissing && existsSync(a.lut)) {
        const [{ readLut }, { refuseImportedLut }] = await Promise.all([import('../../../lut/store.js'), import('../../profile/missing.js')]);
        refuseImportedLut(readLut(a.lut), a.lut);
      }
      return predictOnnxFiles(a);
    }
    const { readLut } = await import('../../../lut/store.js');
    const { predict } = await import('../../predict/predictor.js');
    const archs = await resolveArchitectures(a);
    let lut = readLut(a.lut);
    if (a.profileMissing) {
      const [{ fillMissing }, { resolveDevice }] = await Promise.all([import('../../profile/missing.js'), import('../../../devices/registry.js')]);
      ({ lut } = await fillMissing({
        lutPath: a.lut,
        lut,
        archs,
        protocol: toProtocol(a),
        log: (m) => log(`${m} on ${a.device}`),
        withDevice: async (fn) => {
          const device = await resolveDevice(a.device, toDeviceOptions(a));
          try {
            return await fn(device);
          } finally {
            await device.dispose();
          }
        },
      }));
    }
    const { archMetrics } = await import('../../core/arch-metrics.js');
    const predictions = archs.map((arch) => ({ arch, p: predict(lut, arch, { ownLayout: a.ownLayout }), m: archMetrics(arch) }));
    emit(
      a,
      { lut: { id: lut.id, path: a.lut, device: lut.device.device }, ownLayout: a.ownLayout, predictions: predictions.map(({ arch, p, m }) => ({ ...p, encoding: arch.space?.encoding, metrics: m })) },
      () => predictions.map(({ p, m }) => render(p, m, predictions.length === 1)).join(''),
    );
  },
};
