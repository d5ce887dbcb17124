/**
 * The one name registry: spaces, strategies, evaluators, devices, data sets and published nets are
 * looked up by a name the user typed. Lookups use own properties only (a name such as `toString`,
 * `constructor` or `__proto__` is an unknown name, never an inherited function), aliases map short
 * names to registered ones, and an unknown name is one UserError that lists the known names and
 * suggests the closest one ("did you mean 'mbv2'?").
 */
import { UserError } from './errors.js';

export interface RegistryOptions {
  /** Short names users type, mapped to registered names. */
  aliases?: Readonly<Record<string, string>>;
  /** Extra advice after the list of known names (e.g. "run nas-devices to see which run here"). */
  hint?: string;
  /** Introduces the list of names in the message (default "known"). */
  knownLabel?: string;
  /** Exit code of the unknown-name error (default 2, bad input). */
  exitCode?: number;
}

export class Registry<T> {
  private readonly entries: ReadonlyMap<string, T>;
  private readonly aliases: ReadonlyMap<string, string>;

  /** `what` names the kind of thing in messages, e.g. "search space". */
  constructor(
    readonly what: string,
    entries: Readonly<Record<string, T>> | Iterable<readonly [string, T]>,
    private readonly options: RegistryOptions = {},
  ) {
    const pairs = Symbol.iterator in entries ? [...(entries as Iterable<readonly [string, T]>)] : Object.entries(entries);
    this.entries = new Map(pairs);
    this.aliases = new Map(Object.entries(options.aliases ?? {}));
    for (const [alias, target] of this.aliases)
      if (!this.entries.has(target)) throw new Error(`registry of ${what}s: alias '${alias}' names '${target}', which is not registered`);
  }

  /** Registered names, in registration order (aliases not included). */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  /** Aliases and the names they stand for. */
  get aliasMap(): Record<string, string> {
    return Object.fromEntries(this.aliases);
  }

  /** True when `name` is a registered name or an alias. */
  has(name: string): boolean {
    return typeof name === 'string' && (this.entries.has(name) || this.aliases.has(name));
  }

  /** The registered name behind `name` (itself or what its alias names); UserError when unknown. */
  resolve(name: string): string {
    if (typeof name === 'string') {
      if (this.entries.has(name)) return name;
      const target = this.aliases.get(name);
      if (target !== undefined) return target;
    }
    throw this.unknown(name);
  }

  /** The entry called `name` (or its alias); UserError listing the known names when unknown. */
  get(name: string): T {
    return this.entries.get(this.resolve(name)) as T;
  }

  /** The entry called `name`, or undefined. */
  find(name: string): T | undefined {
    return this.has(name) ? this.get(name) : undefined;
  }

  /** "unknown <what> 'x'; known: a, b, c" with a "did you mean" hint when one name is close. */
  unknown(name: unknown): UserError {
    const shown = typeof name === 'string' ? name : String(name);
    const aliases = [...this.aliases].map(([a, n]) => `${a} → ${n}`);
    const known = `${this.names.join(', ')}${aliases.length ? ` (aliases: ${aliases.join(', ')})` : ''}`;
    const guess = closest(shown, [...this.entries.keys(), ...this.aliases.keys()]);
    const hint = [guess ? `did you mean '${guess}'?` : undefined, this.options.hint].filter(Boolean).join('; ');
    return new UserError(`unknown ${this.what} '${shown}'; ${this.options.knownLabel ?? 'known'}: ${known}`, { hint: hint || undefined, exitCode: this.options.exitCode });
  }
}

/** The candidate closest to `name` by edit distance (case-insensitive), if it is close enough to be a typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  // A typo changes a few characters; past a third of the name it is another word.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(Math.max(name.length, best.length) / 3)) ? best : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions), O(|a|·|b|) with one row. */
export function editDistance(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Math.abs(a.length - b.length) + Math.min(a.length, b.length);
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
