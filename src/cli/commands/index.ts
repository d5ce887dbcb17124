/** Every `nas` command, one module each. Adding a command is one line here (and a bin/ script if it gets one). */
import type { CommandModule } from 'yargs';
import { demoCommand } from './demo.js';
import { devicesCommand } from './devices.js';
import { evaluateCommand } from './evaluate.js';
import { exportCommand } from './export.js';
import { lutCommand } from './lut.js';
import { predictCommand } from './predict.js';
import { profileCommand } from './profile.js';
import { searchCommand } from './search.js';
import { trainCommand } from './train.js';
import { verifyCommand } from './verify.js';

export const COMMANDS: CommandModule<object, never>[] = [
  profileCommand as never,
  predictCommand as never,
  exportCommand as never,
  lutCommand as never,
  devicesCommand as never,
  searchCommand as never,
  evaluateCommand as never,
  trainCommand as never,
  verifyCommand as never,
  demoCommand as never,
];
