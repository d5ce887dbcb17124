/**
 * The names of the timing references (devices/reference.ts builds their models) and the choice of one from
 * a flag, without loading the exporter: the CLI reads these at startup.
 */
import { UserError } from '../src/core/errors.js';
import type { DeviceFactory } from './types.js';

/** The reference models a protocol can name (devices/reference.ts says what each is). */
export const REFERENCE_NAMES = ['mbv2net64', 'mbconv56', 'conv'] as const;
export type ReferenceName = (typeof REFERENCE_NAMES)[number];

/** `name` as a reference name; a UserError listing the known ones otherwise. */
export function checkReferenceName(name: string): ReferenceName {
  if (!(REFERENCE_NAMES as readonly string[]).includes(name)) throw new UserError(`unknown timing reference '${name}'`, { hint: `use one of: ${REFERENCE_NAMES.join(', ')}, off, or auto` });
  return name as ReferenceName;
}

/**
 * The protocol's reference from a choice: 'off' none, 'auto' the device's default (its factory's
 * defaultReference; none for a device without one), else a reference name (checked).
 */
export function chooseReference(choice: string, factory: Pick<DeviceFactory, 'defaultReference'> | undefined): string | undefined {
  if (choice === 'off') return undefined;
  if (choice === 'auto') return factory?.defaultReference;
  return checkReferenceName(choice);
}
