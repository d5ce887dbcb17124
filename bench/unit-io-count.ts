/**
 * Per file: how many run-time inputs and outputs its units have beyond one each (what a unit timed alone binds per
 * run and the overhead model does not), and their bytes. Used with bench/unit-io-cost.ts's per-input figures.
 *
 *   node --import tsx bench/unit-io-count.ts --device cpu --npm-dir out/bench/npm-models
 */
import yargs from 'yargs';
import { partitionRuleFor, planOnnx } from '../src/onnx/plan.js';
import { OCR_MODELS, packedModels } from './npm-models.js';

const args = await yargs(process.argv.slice(2))
  .option('device', { type: 'string', default: 'cpu' })
  .option('npm-dir', { type: 'string', default: 'out/bench/npm-models' })
  .strict()
  .parse();
const rule = partitionRuleFor(args.device);
const files = [...Object.values(OCR_MODELS), ...packedModels(args.npmDir)];
console.log('| file | units | extra inputs | extra outputs | units with weights | input MB (Σ units) |\n|---|---|---|---|---|---|');
for (const f of files) {
  const plan = await planOnnx(f.file, { inputShapes: f.inputShapes, ...rule });
  const extraIn = plan.units.reduce((t, u) => t + Math.max(0, u.inputs.length - 1), 0);
  const extraOut = plan.units.reduce((t, u) => t + Math.max(0, u.outputs.length - 1), 0);
  const inBytes = plan.units.reduce((t, u) => t + 4 * u.inputs.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0), 0);
  console.log(`| ${f.name} | ${plan.units.length} | ${extraIn} | ${extraOut} | ${plan.units.filter((u) => u.weightBytes > 0).length} | ${(inBytes / 2 ** 20).toFixed(2)} |`);
}
