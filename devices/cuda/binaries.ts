/**
 * What the CUDA EP of onnxruntime-node needs on disk, checked without loading anything (available()
 * must be cheap). The npm package carries only the CPU and WebGPU binaries; its install script
 * downloads the CUDA provider libraries (NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux) into the binding's
 * folder, and skips that when told to (this project's .npmrc: onnxruntime-node-install=skip) or offline.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const CUDA_PROVIDER_LIBS = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'] as const;
export const NVIDIA_CONTROL_DEVICE = '/dev/nvidiactl';
export const CUDA_INSTALL_HINT =
  'on a linux/x64 machine with an NVIDIA GPU, CUDA 12 and cuDNN 9 and network access run: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node ' +
  '(the variable overrides onnxruntime-node-install=skip in .npmrc; a plain reinstall without that setting also downloads them)';

/** The folder of onnxruntime-node's native binding for this platform. */
export function bindingDir(ortDir: string, platform = process.platform, arch = process.arch): string {
  return path.join(ortDir, 'bin', 'napi-v6', platform, arch);
}

/** Why the CUDA EP cannot run here, or undefined when every file it needs is present. */
export function cudaProblem(binDir: string, platform = `${process.platform}/${process.arch}`, controlDevice = NVIDIA_CONTROL_DEVICE): string | undefined {
  if (platform !== 'linux/x64') return `onnxruntime-node provides its CUDA EP for linux/x64 only; this is ${platform}`;
  const missing = CUDA_PROVIDER_LIBS.filter((lib) => !existsSync(path.join(binDir, lib)));
  if (missing.length)
    return (
      `onnxruntime-node's CUDA provider libraries are missing (${missing.join(', ')} in ${binDir}): ` +
      `they are not in the npm package; its install step downloads them unless skipped; ${CUDA_INSTALL_HINT}`
    );
  if (!existsSync(controlDevice)) return `no NVIDIA driver is loaded (${controlDevice} does not exist): install the NVIDIA driver on a machine with an NVIDIA GPU`;
  return undefined;
}
