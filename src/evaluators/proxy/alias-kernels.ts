/**
 * Zero-copy Identity and same-dtype Cast for the tfjs wasm backend, installed while proxies run.
 *
 * tfjs's engine clones every tensor a gradient saves (Identity), the gradient of AddN and of a Cast
 * clones dy, and tf.moments casts float32 to float32 (Cast). The cpu backend answers both kernels with
 * an alias of the input's memory (a second reference to the same data); the wasm backend copies the
 * whole tensor each time. tfjs tensors are immutable (Reshape already aliases on wasm), so an alias
 * holds exactly the bytes a copy would: the scores are bit-for-bit the same, and a 64-image backward
 * pass through an NB201 net skips ~1,500 full-tensor copies (docs/benchmarks.md).
 *
 * Installed around a scoring call and put back after, so other tfjs work in the process (a tfjs
 * latency device timing inference) runs the backend's stock kernels.
 */
import type * as TF from '@tensorflow/tfjs';

interface RefCounting {
  incRef(dataId: object): void;
}

/** Runs `f` with aliasing Identity and Cast(same dtype) on the current backend when it is wasm. */
export function withAliasingCopies<T>(tf: typeof TF, f: () => T): T {
  const backendName = tf.getBackend();
  if (backendName !== 'wasm') return f();
  const stock = [tf.getKernel('Identity', 'wasm'), tf.getKernel('Cast', 'wasm')];
  if (stock.some((k) => !k) || installed) return f();
  const alias = (x: TF.TensorInfo, backend: unknown): TF.TensorInfo => {
    (backend as RefCounting).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  const [identity, cast] = stock as TF.KernelConfig[];
  const replacements: TF.KernelConfig[] = [
    { kernelName: 'Identity', backendName, kernelFunc: ({ inputs, backend }) => alias(inputs.x as TF.TensorInfo, backend) },
    {
      kernelName: 'Cast',
      backendName,
      kernelFunc: (args) => {
        const x = args.inputs.x as TF.TensorInfo;
        return x.dtype === (args.attrs as { dtype: string }).dtype ? alias(x, args.backend) : cast.kernelFunc(args);
      },
    },
  ];
  const swap = (configs: TF.KernelConfig[]) => {
    for (const c of configs) {
      tf.unregisterKernel(c.kernelName, backendName);
      tf.registerKernel(c);
    }
  };
  swap(replacements);
  installed = true;
  try {
    return f();
  } finally {
    installed = false;
    swap([identity, cast]);
  }
}

/** Set while the aliasing kernels are in (nested calls leave them to the outer one). */
let installed = false;
