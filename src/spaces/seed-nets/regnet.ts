/** RegNetX / RegNetY at 200, 400 and 600 MF (pycls configs/dds_baselines, paper's Table of models). */
import { regnetArch, type RegNetParams } from '../anynet-model.js';
import { torchvisionFigures, type SeedNet } from './types.js';


const PYCLS = 'facebookresearch/pycls configs/dds_baselines/regnet';
const ZOO = 'facebookresearch/pycls MODEL_ZOO.md';
const TV = 'pytorch/vision torchvision/models/regnet.py';

/** Every published RegNet has b = 1 (BOT_MUL 1.0). */
function regnet(name: string, p: Omit<RegNetParams, 'b'>, y: boolean, published: SeedNet['published'], yaml: string): SeedNet {
  return {
    name,
    definition: `${PYCLS}/${yaml} (DEPTH ${p.depth}, W0 ${p.w0}, WA ${p.wa}, WM ${p.wm}, GROUP_W ${p.g}, BOT_MUL 1.0${y ? ', SE_ON' : ''})`,
    resolution: 224,
    published,
    build: ({ resolution, classes }) => regnetArch(name, { ...p, b: 1 }, { resolution, classes, se: y ? 0.25 : 0 }),
  };
}

/** pycls reports params in M and flops in B with one decimal; torchvision (400MF only) to the unit and 3 decimals. */
const zoo = (params: number, gflops: number, row: string): SeedNet['published'] => ({
  params: { value: params * 1e6, source: `${ZOO} ${row} params (M)`, unit: 1e5 },
  macs: { value: gflops * 1e9, source: `${ZOO} ${row} flops (B, multiply-adds)`, unit: 1e8 },
});

export const REGNETS: SeedNet[] = [
  regnet('RegNetX-200MF', { depth: 13, w0: 24, wa: 36.44, wm: 2.49, g: 8 }, false, zoo(2.7, 0.2, 'RegNetX-200MF'), 'RegNetX-200MF_dds_8gpu.yaml'),
  regnet(
    'RegNetX-400MF',
    { depth: 22, w0: 24, wa: 24.48, wm: 2.54, g: 16 },
    false,
    torchvisionFigures(TV, 'RegNet_X_400MF_Weights', 5_495_976, 0.414e9),
    'RegNetX-400MF_dds_8gpu.yaml',
  ),
  regnet('RegNetX-600MF', { depth: 16, w0: 48, wa: 36.97, wm: 2.24, g: 24 }, false, zoo(6.2, 0.6, 'RegNetX-600MF'), 'RegNetX-600MF_dds_1gpu.yaml'),
  regnet('RegNetY-200MF', { depth: 13, w0: 24, wa: 36.44, wm: 2.49, g: 8 }, true, zoo(3.2, 0.2, 'RegNetY-200MF'), 'RegNetY-200MF_dds_1gpu.yaml'),
  regnet(
    'RegNetY-400MF',
    { depth: 16, w0: 48, wa: 27.89, wm: 2.09, g: 8 },
    true,
    torchvisionFigures(TV, 'RegNet_Y_400MF_Weights', 4_344_144, 0.402e9),
    'RegNetY-400MF_dds_8gpu.yaml',
  ),
  regnet('RegNetY-600MF', { depth: 15, w0: 48, wa: 32.54, wm: 2.32, g: 16 }, true, zoo(6.1, 0.6, 'RegNetY-600MF'), 'RegNetY-600MF_dds_1gpu.yaml'),
];
