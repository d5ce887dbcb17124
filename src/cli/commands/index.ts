/** Every `nas` command, one module each. Adding a command is one name in names.ts and one line here (and a bin/ script if it gets one). */
import type { CommandModule } from 'yargs';
import { demoCommand } from './demo.js';
import { devicesCommand } from './devices.js';
import { exportCommand } from './export.js';
import { lutCommand } from './lut.js';
import { COMMAND_NAMES, type CommandName } from './names.js';
import { predictCommand } from './predict.js';
import { profileCommand } from './profile.js';
import { searchCommand } from './search.js';
import { trainCommand } from './train.js';
import { verifyCommand } from './verify.js';

const BY_NAME: Record<CommandName, CommandModule<object, never>> = {
  profile: profileCommand as never,
  predict: predictCommand as never,
  export: exportCommand as never,
  lut: lutCommand as never,
  devices: devicesCommand as never,
  search: searchCommand as never,
  train: trainCommand as never,
  verify: verifyCommand as never,
  demo: demoCommand as never,
};

export const COMMANDS: CommandModule<object, never>[] = COMMAND_NAMES.map((name) => BY_NAME[name]);
