/**
 * Reads an architecture file in every form (core/arch-file.ts): full, the sidecar of an exported net, or
 * short ({"space":"mbv2","resolution":96,"encoding":[…]}, built by the named search space). It lives here,
 * above the spaces, because the short form needs them; core never imports the spaces.
 */
import { architectureFromJson, readJsonFile } from '../core/arch-file.js';
import type { Architecture } from '../core/arch.js';
import { UserError } from '../core/errors.js';
import { validateArchitectureSpec } from '../core/validate-spec.js';
import { createSpace } from './registry.js';

export interface ArchFileOptions {
  /** Told, in one line naming the file, how an encoding saved by an earlier version of its space was read. */
  onNote?(message: string): void;
}

export async function readArchFile(file: string, o: ArchFileOptions = {}): Promise<Architecture> {
  return archFromJson(readJsonFile(file, 'architecture'), file, o);
}

/** An architecture from parsed JSON in any form (full, short, an exported net's sidecar); `file` names it in errors. */
export async function archFromJson(value: unknown, file: string, o: ArchFileOptions = {}): Promise<Architecture> {
  const a = value as Record<string, unknown>;
  if (a && typeof a === 'object' && typeof a.space === 'string') {
    if (!Array.isArray(a.encoding)) throw new UserError(`${file}: a short-form architecture needs "encoding": [choice, …] for space '${a.space}'`);
    const space = createSpace(a.space, { resolution: a.resolution as number | undefined });
    // Architectures saved by earlier versions still load (nasnet's vectors before the add/concat decision).
    const older = space.readOlderEncoding?.(a.encoding as number[]);
    let arch: Architecture;
    try {
      arch = space.build(older?.choices ?? (a.encoding as number[]));
    } catch (e) {
      throw new UserError(`${file}: the encoding does not fit space '${a.space}': ${(e as Error).message}`);
    }
    if (older) o.onNote?.(`${file}: ${older.note}`);
    validateArchitectureSpec(arch, file); // a valid encoding at an absurd resolution still has to fit
    return arch;
  }
  return architectureFromJson(value, file);
}
