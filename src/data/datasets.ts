/** The data sets training can use, by name. Fashion-MNIST is the default (it ships as a Debian package). */
import { UserError } from '../core/errors.js';
import { Registry } from '../core/registry.js';
import { loadCifar10 } from './cifar.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import type { DataPart, ImageSet } from './types.js';

const LOADERS = {
  'fashion-mnist': (dir: string | undefined, part: DataPart) => loadFashionMnist(dir ?? FASHION_MNIST_DIR, part),
  cifar10: (dir: string | undefined, part: DataPart) => {
    if (!dir) throw new UserError('CIFAR-10 has no default location: pass --data DIR (the folder with data_batch_*.bin)');
    return loadCifar10(dir, part);
  },
} as const;

export type DatasetName = keyof typeof LOADERS;
export const DATASETS = Object.keys(LOADERS) as DatasetName[];
export const DEFAULT_DATASET: DatasetName = 'fashion-mnist';
export const DATASET_REGISTRY = new Registry<(dir: string | undefined, part: DataPart) => ImageSet>('data set', LOADERS);

export interface LoadOptions {
  dataset?: string;
  /** Folder holding the files; each data set has its default (--data DIR). */
  dir?: string;
  part?: DataPart;
}

export function loadImageSet(opts: LoadOptions = {}): ImageSet {
  const name = opts.dataset ?? DEFAULT_DATASET;
  return DATASET_REGISTRY.get(name)(opts.dir, opts.part ?? 'train');
}
