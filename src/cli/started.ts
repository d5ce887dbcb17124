/**
 * When the running command began, performance.now() ms: 0, the process's start, when it runs from the entry
 * point (run.ts), so a budget such as `nas doctor --seconds` counts Node's start-up and module loading too;
 * else when main() was called (a command run in-process, as the tests do).
 */
let startedAt = 0;

export const commandStartedAt = (): number => startedAt;

export function setCommandStart(at: number): void {
  startedAt = at;
}
