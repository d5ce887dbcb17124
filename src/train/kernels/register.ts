/**
 * Registers the training kernels for a backend: on wasm the three gradient kernels it lacks, a
 * faster Conv2DBackpropInput and a correct MaxPoolGrad; on cpu the four conv gradients in place of
 * its own (they are loops there too).
 * Registration replaces what the backend had and returns a function that puts it back, so a process
 * that also times inference on tfjs (a latency device) can leave the stock kernels untouched.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropInput, depthwiseConv2dBackpropInput } from './backprop-input.js';
import { conv2dBackpropFilter, type FilterGradForm } from './conv2d-backprop-filter.js';
import { depthwiseConv2dBackpropFilter } from './depthwise-backprop-filter.js';
import { maxPoolGrad } from './max-pool-grad.js';

export type KernelBackendName = 'wasm' | 'cpu';

const CONV_GRADIENTS = [conv2dBackpropFilter, conv2dBackpropInput, depthwiseConv2dBackpropFilter, depthwiseConv2dBackpropInput];
const FACTORIES = { wasm: [...CONV_GRADIENTS, maxPoolGrad], cpu: CONV_GRADIENTS };

const installed = new Map<KernelBackendName, () => void>();

export function registerTrainingKernels(backendName: KernelBackendName): () => void {
  const existing = installed.get(backendName);
  if (existing) return existing;
  const previous = FACTORIES[backendName].map((factory) => {
    const config = factory(backendName);
    const before = tf.getKernel(config.kernelName, backendName);
    if (before) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
    return { name: config.kernelName, before };
  });
  const restore = () => {
    if (installed.get(backendName) !== restore) return;
    installed.delete(backendName);
    for (const { name, before } of previous) {
      tf.unregisterKernel(name, backendName);
      if (before) tf.registerKernel(before);
    }
  };
  installed.set(backendName, restore);
  return restore;
}

/**
 * Runs `f` with the backend's Conv2DBackpropFilter in one form instead of the per-shape choice, then
 * puts back what was registered: benches and tests compare the forms.
 */
export function withFilterGradForm<T>(backendName: KernelBackendName, form: FilterGradForm, f: () => T): T {
  const forced = conv2dBackpropFilter(backendName, form);
  const before = tf.getKernel(forced.kernelName, backendName);
  if (before) tf.unregisterKernel(forced.kernelName, backendName);
  tf.registerKernel(forced);
  try {
    return f();
  } finally {
    tf.unregisterKernel(forced.kernelName, backendName);
    if (before) tf.registerKernel(before);
  }
}
