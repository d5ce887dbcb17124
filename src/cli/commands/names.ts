/** The names of every `nas` command, in the order --help lists them (index.ts maps each to its module). */
export const COMMAND_NAMES = ['profile', 'predict', 'export', 'lut', 'devices', 'doctor', 'search', 'scale', 'designspace', 'evaluate', 'train', 'verify', 'demo', 'worker'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];
