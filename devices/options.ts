/**
 * Reading device options. Options arrive from the CLI or a config file as strings, numbers or
 * booleans; each device reads the ones it understands through these helpers, so a bad value fails
 * with one message naming the device, the option, what was expected and what arrived.
 */
import { UserError } from '../src/core/errors.js';
import type { DeviceOptions } from './types.js';

export function numberOption(
  device: string,
  options: DeviceOptions,
  name: string,
  fallback: number,
  limits: { min?: number; integer?: boolean } = {},
): number {
  const raw = options[name];
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  const { min = -Infinity, integer = false } = limits;
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    const want = `${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` ≥ ${min}` : ''}`;
    throw new UserError(`device '${device}': option '${name}' must be ${want}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function enumOption<T extends string>(device: string, options: DeviceOptions, name: string, values: readonly T[], fallback: T): T {
  const raw = options[name];
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as T;
  throw new UserError(`device '${device}': option '${name}' must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
}

/** A comma-separated list option ("se,zero"), each item checked against `values`. */
export function listOption<T extends string>(device: string, options: DeviceOptions, name: string, values: readonly T[]): T[] {
  const raw = options[name];
  if (raw === undefined || raw === '') return [];
  const items = String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((s) => !(values as readonly string[]).includes(s));
  if (bad.length) throw new UserError(`device '${device}': option '${name}' has unknown item(s) ${bad.join(', ')} (known: ${values.join(', ')})`);
  return items as T[];
}

/** onnxruntime's graph optimization levels, as its session options name them. */
export const ORT_OPT_LEVELS = ['all', 'extended', 'basic', 'disabled'] as const;
export type OrtOptLevel = (typeof ORT_OPT_LEVELS)[number];

/** The `graphOptimizationLevel` option every onnxruntime device reads (default all). */
export const optLevelOption = (device: string, options: DeviceOptions): OrtOptLevel => enumOption(device, options, 'graphOptimizationLevel', ORT_OPT_LEVELS, 'all');
