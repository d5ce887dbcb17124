/** Output conventions shared by every command: results on stdout (JSON with --json), logs on stderr. */
export interface OutputArgs {
  json?: boolean;
  /** Where the result goes (default stdout); the demo sends its steps' results to stderr under --json. */
  print?: (text: string) => void;
}

/** Prints the result: one JSON document with --json, else the human rendering. */
export function emit(args: OutputArgs, data: unknown, human: () => string): void {
  const text = args.json ? JSON.stringify(data, null, 2) + '\n' : human();
  if (args.print) args.print(text);
  else process.stdout.write(text);
}

export function log(message: string): void {
  process.stderr.write(message + '\n');
}

/** A device's warnings (a software adapter, a runtime-chosen thread count, ...): what its numbers mean. */
export function logDeviceWarnings(info: { device: string; warnings?: string[] }): void {
  for (const w of info.warnings ?? []) log(`warning: ${info.device}: ${w}`);
}
