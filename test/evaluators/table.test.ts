import { describe, expect, it } from 'vitest';
import { createMbv2Space } from '../../src/spaces/mbv2.js';
import { cellToEncoding, createNb201Space } from '../../src/spaces/nb201.js';
import { createEvaluator, EVALUATOR_NAMES } from '../../src/evaluators/registry.js';
import { tableEvaluator } from '../../src/evaluators/table.js';

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

describe('table evaluator', () => {
  const arch = createNb201Space().build(cellToEncoding(BEST));

  it('returns the accuracies of idx 6111 (the best CIFAR-10 cell)', async () => {
    expect(await tableEvaluator().evaluate(arch)).toBe(94.373);
    expect(await tableEvaluator({ dataset: 'cifar100' }).evaluate(arch)).toBe(73.22);
    expect(await tableEvaluator({ dataset: 'ImageNet16-120' }).evaluate(arch)).toBe(46.711);
    expect(tableEvaluator().provenance).toMatchObject({ kind: 'table', dataset: 'cifar10' });
  });

  it('rejects unknown datasets and architectures outside nb201', async () => {
    expect(() => tableEvaluator({ dataset: 'imagenet' })).toThrow(/unknown NAS-Bench-201 dataset 'imagenet'.*/);
    await expect(tableEvaluator().evaluate(createMbv2Space({ resolution: 96 }).build(Array(21).fill(0)))).rejects.toThrow(/only covers the nb201 space/);
  });

  it('is reachable by name through the registry', async () => {
    expect(EVALUATOR_NAMES).toEqual(['table', 'command', 'proxy', 'train', 'supernet']);
    expect(await (await createEvaluator('table', { dataset: 'cifar100' })).evaluate(arch)).toBe(73.22);
    await expect(createEvaluator('oracle')).rejects.toThrow(/unknown evaluator 'oracle'/);
  });
});
