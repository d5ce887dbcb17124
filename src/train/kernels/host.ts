/**
 * What the training kernels need from a backend whose tensors live in JS-visible memory (wasm heap,
 * cpu arrays): zero-copy views, aliases (a tensor that is a window into another one's memory), and
 * calls to the backend's own kernels at the TensorInfo level (the way tfjs kernels compose, without
 * re-entering the engine).
 *
 * wasm: views are Float32Arrays over the heap. A heap view is invalidated when the heap grows, so a
 * kernel takes its views after its last allocation. An alias is registered at an offset inside its
 * parent; releasing it must not free that memory, so it is unregistered by hand (the backend's own
 * disposeData would free the parent's block).
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Attrs = tf.NamedAttrMap;

/** The part of tfjs-backend-cpu's MathBackendCPU these kernels use. */
interface CpuBackend {
  data: { get(id: object): { values: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): Info;
  disposeData(id: object): boolean;
}

export interface KernelHost {
  readonly backendName: 'wasm' | 'cpu';
  /** Runs one of the backend's registered kernels. */
  run(kernel: string, inputs: Record<string, Info>, attrs?: Attrs): Info;
  alloc(shape: number[]): Info;
  /** Zero-copy view of a float32 tensor's elements. */
  view(t: Info): Float32Array;
  /** A tensor of `shape` whose elements are `t`'s from element `offset` on (no copy). */
  alias(t: Info, offset: number, shape: number[]): Info;
  /** Frees a tensor from alloc/run; for an alias, forgets it without touching the parent. */
  dispose(t: Info): void;
  /**
   * A copier of runs between two tensors: copy(dstOffset, srcOffset, n) in elements. Take it after
   * the last allocation (wasm views die when the heap grows).
   */
  copier(dst: Info, src: Info): (dstOffset: number, srcOffset: number, n: number) => void;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function wasmHost(backend: BackendWasm): KernelHost {
  const aliases = new Set<object>();
  return {
    backendName: 'wasm',
    run: (kernel, inputs, attrs = {}) => tf.getKernel(kernel, 'wasm')!.kernelFunc({ inputs, backend, attrs }) as Info,
    alloc: (shape) => backend.makeOutput(shape, 'float32'),
    view: (t) => backend.typedArrayFromHeap(t) as Float32Array,
    alias(t, offset, shape) {
      const base = backend.getMemoryOffset(t.dataId);
      const a = backend.makeOutput(shape, 'float32', base + 4 * offset);
      aliases.add(a.dataId);
      return a;
    },
    copier(dst, src) {
      // One view of the whole heap: copyWithin is a native memmove, no per-run subarray objects.
      const heap = new Float32Array((backend.typedArrayFromHeap(dst) as Float32Array).buffer);
      const d = backend.getMemoryOffset(dst.dataId) / 4;
      const s = backend.getMemoryOffset(src.dataId) / 4;
      return (dOff, sOff, n) => heap.copyWithin(d + dOff, s + sOff, s + sOff + n);
    },
    dispose(t) {
      if (!aliases.delete(t.dataId)) {
        backend.disposeData(t.dataId);
        return;
      }
      const data = backend.dataIdMap.get(t.dataId);
      backend.dataIdMap.delete(t.dataId);
      // Runs the C++ disposal callbacks (XNNPACK operators cached on this id) without free().
      if (data) backend.wasm.tfjs.disposeData(data.id);
    },
  };
}

function cpuHost(backend: CpuBackend): KernelHost {
  const values = (t: Info) => backend.data.get(t.dataId)!.values as Float32Array;
  return {
    backendName: 'cpu',
    run: (kernel, inputs, attrs = {}) =>
      tf.getKernel(kernel, 'cpu')!.kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs }) as Info,
    alloc: (shape) => backend.makeTensorInfo(shape, 'float32', new Float32Array(size(shape))),
    view: values,
    alias: (t, offset, shape) => backend.makeTensorInfo(shape, 'float32', values(t).subarray(offset, offset + size(shape))),
    copier(dst, src) {
      const d = values(dst);
      const s = values(src);
      return (dOff, sOff, n) => d.set(s.subarray(sOff, sOff + n), dOff);
    },
    dispose: (t) => void backend.disposeData(t.dataId),
  };
}

export function kernelHost(backendName: string, backend: unknown): KernelHost {
  if (backendName === 'wasm') return wasmHost(backend as BackendWasm);
  if (backendName === 'cpu') return cpuHost(backend as CpuBackend);
  throw new Error(`training kernels run on the wasm and cpu backends, not '${backendName}'`);
}

/**
 * A training kernel for `backendName`: `run` gets the kernel's named inputs, its attributes typed as
 * tfjs declares them, and the backend's KernelHost.
 */
export function trainingKernel<I extends string, A>(
  kernelName: string,
  backendName: 'wasm' | 'cpu',
  run: (inputs: Record<I, Info>, attrs: A, host: KernelHost) => Info,
): tf.KernelConfig {
  return { kernelName, backendName, kernelFunc: ({ inputs, backend, attrs }) => run(inputs as Record<I, Info>, attrs as unknown as A, kernelHost(backendName, backend)) };
}

/** A tensor with the same data seen with another shape (no copy, no new registration). */
export function reshaped(t: Info, shape: number[]): Info {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}
