/**
 * Which Vulkan driver Dawn (inside onnxruntime-node's WebGPU EP) will use, decided before Dawn starts.
 *
 * The Vulkan loader reads VK_ICD_FILENAMES once, when Dawn creates its instance, and a process whose Dawn
 * found no adapter cannot retry with another driver. So the choice is made by probing in child processes:
 *   1. the user's VK_ICD_FILENAMES / VK_DRIVER_FILES, when set: used as is (a missing file is reported);
 *   2. otherwise the loader's default drivers (a real GPU, when there is one Dawn accepts);
 *   3. otherwise SwiftShader, the CPU Vulkan driver Debian's chromium package ships, which the device
 *      then selects by setting VK_ICD_FILENAMES in this process before loading onnxruntime-node.
 * Debian's lavapipe (mesa-vulkan-drivers) is refused by Dawn, so case 2 fails on GPU-less machines.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AdapterInfo } from '../types.js';
import { tinyAddModel } from '../ort-wasm/tiny-model.js';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];
const PROBE_TIMEOUT_MS = 60_000;

export const SOFTWARE_HOW_TO =
  `for a software (CPU) adapter: apt-get install libvulkan1 chromium, then VK_ICD_FILENAMES=${SWIFTSHADER_ICD} ` +
  '(this device sets it itself when the variable is unset and the file exists)';

export type VulkanChoice =
  | {
      ok: true;
      /** Where the driver came from: the user's variable, the loader's defaults, or SwiftShader chosen here. */
      source: 'env' | 'system' | 'swiftshader';
      /** VK_ICD_FILENAMES to set in this process before Dawn starts (only for 'swiftshader'). */
      setIcd?: string;
      adapter: AdapterInfo;
    }
  | { ok: false; reason: string };

/** The ICD files the user named, if any (VK_DRIVER_FILES is the newer loader's name for the same list). */
function userIcds(env: NodeJS.ProcessEnv): string[] | undefined {
  const value = env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES;
  return value ? value.split(':').filter(Boolean) : undefined;
}

/** The driver library an ICD manifest points to, e.g. "./libvk_swiftshader.so"; undefined if unreadable. */
function icdLibrary(file: string): string | undefined {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } };
    return json.ICD?.library_path;
  } catch {
    return undefined;
  }
}

const SOFTWARE_DRIVER = /swiftshader|lvp|lavapipe|llvmpipe/i;

function describeIcds(files: string[]): { description: string; software: boolean } {
  const libs = files.map((f) => `${f} → ${icdLibrary(f) ?? '?'}`);
  return { description: libs.join(', '), software: files.every((f) => SOFTWARE_DRIVER.test(icdLibrary(f) ?? f)) };
}

function systemIcds(): string[] {
  return ICD_DIRS.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  });
}

// Runs in a child process: opens a one-node session on the WebGPU EP with CPU fallback disabled, so
// success means Dawn found an adapter and ran a kernel on it.
const PROBE_SCRIPT = `
const m = await import(process.env.NAS_PROBE_ORT);
const ort = m.default ?? m;
try {
  const model = Buffer.from(process.env.NAS_PROBE_MODEL, 'base64');
  const s = await ort.InferenceSession.create(model, {
    executionProviders: ['webgpu'], logSeverityLevel: 4, extra: { session: { disable_cpu_ep_fallback: '1' } } });
  const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([1.5]), [1]) });
  process.stdout.write(JSON.stringify({ y: out.y.data[0] }));
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }));
}
`;

/** The lines of Dawn's / the loader's stderr that say why there is no adapter. */
function telling(stderr: string): string[] {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^Warning:|VK_ERROR|libvulkan/.test(l));
  return [...new Set(lines)].slice(0, 3);
}

/** true when a fresh process with `env` gets a working WebGPU adapter from onnxruntime-node, else why not. */
export async function probeDawn(ortEntry: string, env: NodeJS.ProcessEnv): Promise<true | string> {
  const model = Buffer.from(await tinyAddModel()).toString('base64');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT], {
      env: { ...env, NAS_PROBE_ORT: pathToFileURL(ortEntry).href, NAS_PROBE_MODEL: model },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: PROBE_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve(`could not start the probe process: ${e.message}`));
    child.on('close', (code, signal) => {
      let result: { y?: number; error?: string } = {};
      try {
        result = JSON.parse(stdout) as typeof result;
      } catch {
        // No JSON: the process died (a native abort or the timeout); stderr says why.
      }
      if (result.y === 3) return resolve(true);
      const parts: string[] = [];
      // onnxruntime prefixes its message with a source location and the failed check; keep the sentence after it.
      if (result.error) parts.push(result.error.replace(/^.*? was false\.\s*/s, '').trim());
      else if (result.y !== undefined) parts.push(`the probe computed 1.5 + 1.5 = ${result.y}`);
      else parts.push(`the probe process ended with ${signal ?? `exit code ${code}`}`);
      parts.push(...telling(stderr));
      resolve(parts.join('; '));
    });
  });
}

/** Decides the Vulkan driver for onnxruntime-node's WebGPU EP (see the file comment); probes every call. */
export async function chooseVulkan(ortEntry: string, env: NodeJS.ProcessEnv = process.env): Promise<VulkanChoice> {
  const named = userIcds(env);
  if (named) {
    const variable = env.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : 'VK_DRIVER_FILES';
    const missing = named.filter((f) => !existsSync(f));
    if (missing.length === named.length)
      return { ok: false, reason: `${variable} names ${missing.join(', ')}, which does not exist; unset it or point it at an installed Vulkan driver manifest; ${SOFTWARE_HOW_TO}` };
    const probe = await probeDawn(ortEntry, env);
    const { description, software } = describeIcds(named.filter((f) => existsSync(f)));
    if (probe !== true)
      return { ok: false, reason: `Dawn found no usable WebGPU adapter with ${variable}=${named.join(':')} (${probe}); ${SOFTWARE_HOW_TO}` };
    // Only SwiftShader is recognisable from its manifest alone; any other driver's adapter stays unknown.
    const swiftshader = /swiftshader/i.test(description);
    return {
      ok: true,
      source: 'env',
      adapter: {
        vendor: swiftshader ? 'google' : 'unknown',
        architecture: swiftshader ? 'swiftshader' : 'unknown',
        description: `Vulkan driver from ${variable}: ${description}`,
        isFallback: software,
      },
    };
  }

  const system = await probeDawn(ortEntry, env);
  if (system === true) {
    const icds = systemIcds();
    return {
      ok: true,
      source: 'system',
      adapter: {
        vendor: 'unknown',
        architecture: 'unknown',
        description: `Dawn's pick among the Vulkan loader's default drivers (${icds.map((f) => path.basename(f)).join(', ') || 'none listed'}); onnxruntime-node does not report which`,
        isFallback: false,
      },
    };
  }
  if (!existsSync(SWIFTSHADER_ICD))
    return { ok: false, reason: `Dawn found no usable WebGPU adapter among the system's Vulkan drivers (${system}); ${SOFTWARE_HOW_TO}` };
  const swiftshader = await probeDawn(ortEntry, { ...env, VK_ICD_FILENAMES: SWIFTSHADER_ICD });
  if (swiftshader !== true)
    return {
      ok: false,
      reason: `Dawn found no usable WebGPU adapter: system drivers: ${system}; SwiftShader (${SWIFTSHADER_ICD}): ${swiftshader}; install libvulkan1 (the Vulkan loader) and chromium (SwiftShader)`,
    };
  return {
    ok: true,
    source: 'swiftshader',
    setIcd: SWIFTSHADER_ICD,
    adapter: {
      vendor: 'google',
      architecture: 'swiftshader',
      description: `SwiftShader Vulkan (a CPU implementation) via VK_ICD_FILENAMES=${SWIFTSHADER_ICD}, set by this device; system drivers refused: ${system}`,
      isFallback: true,
    },
  };
}
