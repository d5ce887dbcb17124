/**
 * The tfjs program interpreter, typed for Node: devices/browser/page/tfjs-program.js, a plain ES module
 * that the bench page loads as it is and that takes tf as an argument, so the browser, the Node tfjs
 * devices and the zero-cost proxies run one implementation of each step and activation.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TF from '@tensorflow/tfjs';
import { projectRoot } from '../../src/core/paths.js';
import type { TfAct, TfProgram } from './program.js';

export interface ProgramInterpreter {
  /** The program's output for input tensors `feeds` and weight tensors `weights` (call inside tf.tidy). */
  runProgram(tf: typeof TF, program: TfProgram, weights: TF.Tensor[], feeds: TF.Tensor[]): TF.Tensor4D;
  /** One activation, as the interpreter names them ('linear' = none). */
  activate<T extends TF.Tensor>(tf: typeof TF, x: T, act: TfAct): T;
}

export const interpreter = (await import(pathToFileURL(path.join(projectRoot(), 'devices', 'browser', 'page', 'tfjs-program.js')).href)) as ProgramInterpreter;
