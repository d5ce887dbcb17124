/**
 * Reads an architecture file in every form (core/arch-file.ts): full, the sidecar of an exported net, or
 * short ({"space":"mbv2","resolution":96,"encoding":[…]}, built by the named search space). It lives here,
 * above the spaces, because the short form needs them; core never imports the spaces.
 */
import { architectureFromJson, readJsonFile } from '../core/arch-file.js';
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { createSpace } from './registry.js';

export async function readArchFile(file: string): Promise<Architecture> {
  const value = readJsonFile(file, 'architecture');
  const a = value as Record<string, unknown>;
  if (a && typeof a === 'object' && typeof a.space === 'string') {
    if (!Array.isArray(a.encoding)) throw new UserError(`${file}: a short-form architecture needs "encoding": [choice, …] for space '${a.space}'`);
    const space = createSpace(a.space, { resolution: a.resolution as number | undefined });
    try {
      return space.build(a.encoding as number[]);
    } catch (e) {
      throw new UserError(`${file}: the encoding does not fit space '${a.space}': ${(e as Error).message}`);
    }
  }
  return architectureFromJson(value, file);
}
