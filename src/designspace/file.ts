/** Reading a design-space file back (for --compare), with one clear error for anything else. */
import { readJsonFile } from '../core/arch-file.js';
import { UserError } from '../core/errors.js';
import { DESIGNSPACE_FORMAT, DESIGNSPACE_VERSION, type DesignSpaceDoc } from './types.js';

export function readDesignSpaceFile(file: string): DesignSpaceDoc {
  const doc = readJsonFile(file, 'design-space') as Partial<DesignSpaceDoc> | null;
  const hint = 'give a file written by nas designspace --out';
  if (doc?.format !== DESIGNSPACE_FORMAT || doc.version !== DESIGNSPACE_VERSION)
    throw new UserError(`${file} is not a "${DESIGNSPACE_FORMAT}" version ${DESIGNSPACE_VERSION} file`, { hint });
  if (!Array.isArray(doc.models) || doc.models.length === 0 || !doc.evaluator || !doc.space) throw new UserError(`${file} holds no scored models`, { hint });
  return doc as DesignSpaceDoc;
}
