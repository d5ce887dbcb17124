/** Every `nas` command, one module each. Adding a command is one name in names.ts and one line here (and a bin/ script if it gets one). */
import type { CommandModule } from 'yargs';
import { demoCommand } from './demo.js';
import { designspaceCommand } from './designspace.js';
import { devicesCommand } from './devices.js';
import { doctorCommand } from './doctor.js';
import { evaluateCommand } from './evaluate.js';
import { exportCommand } from './export.js';
import { lutCommand } from './lut.js';
import { COMMAND_NAMES, type CommandName } from './names.js';
import { predictCommand } from './predict.js';
import { profileCommand } from './profile.js';
import { scaleCommand } from './scale.js';
import { searchCommand } from './search.js';
import { trainCommand } from './train.js';
import { verifyCommand } from './verify.js';
import { workerCommand } from './worker.js';

const BY_NAME: Record<CommandName, CommandModule<object, never>> = {
  profile: profileCommand as never,
  predict: predictCommand as never,
  export: exportCommand as never,
  lut: lutCommand as never,
  devices: devicesCommand as never,
  doctor: doctorCommand as never,
  search: searchCommand as never,
  scale: scaleCommand as never,
  designspace: designspaceCommand as never,
  evaluate: evaluateCommand as never,
  train: trainCommand as never,
  verify: verifyCommand as never,
  demo: demoCommand as never,
  worker: workerCommand as never,
};

export const COMMANDS: CommandModule<object, never>[] = COMMAND_NAMES.map((name) => BY_NAME[name]);
