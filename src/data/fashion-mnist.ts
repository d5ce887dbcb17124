/**
 * Fashion-MNIST (Xiao et al. 2017): 28x28 grey images of 10 clothing classes, 60000 train + 10000
 * test, as four IDX files. Debian's `dataset-fashion-mnist` package installs them gzipped in
 * /usr/share/datasets/fashion-mnist/; another copy (gzipped or not) is found with --data DIR.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { readIdxImages, readIdxLabels } from './idx.js';
import type { DataPart, ImageSet } from './types.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;
const MISSING_HINT = `install it with \`apt-get install dataset-fashion-mnist\` (into ${FASHION_MNIST_DIR}) or point --data DIR at a folder with the four IDX files`;

/** `<dir>/<stem>.gz` when present, else the uncompressed `<dir>/<stem>`. */
function idxFile(dir: string, stem: string): string {
  const gz = path.join(dir, `${stem}.gz`);
  return existsSync(gz) ? gz : path.join(dir, stem);
}

export function loadFashionMnist(dir: string = FASHION_MNIST_DIR, part: DataPart = 'train'): ImageSet {
  if (!existsSync(dir)) throw new UserError(`Fashion-MNIST directory not found: ${dir}`, { hint: MISSING_HINT });
  const prefix = part === 'train' ? 'train' : 't10k';
  const imagesFile = idxFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsFile = idxFile(dir, `${prefix}-labels-idx1-ubyte`);
  const images = readIdxImages(imagesFile, MISSING_HINT);
  const labels = readIdxLabels(labelsFile, MISSING_HINT);
  if (images.count !== labels.length)
    throw new UserError(`Fashion-MNIST ${part} files disagree: ${imagesFile} has ${images.count} images, ${labelsFile} has ${labels.length} labels`, {
      hint: 'the two files come from different copies of the data set; install or download them again',
    });
  const bad = labels.findIndex((l) => l >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0) throw new UserError(`${labelsFile} is corrupt: label ${bad} is ${labels[bad]}, Fashion-MNIST labels are 0-9`);
  return {
    name: 'fashion-mnist',
    part,
    source: dir,
    count: images.count,
    height: images.height,
    width: images.width,
    channels: 1,
    classes: FASHION_MNIST_CLASSES.length,
    classNames: FASHION_MNIST_CLASSES,
    pixels: images.pixels,
    labels,
  };
}
