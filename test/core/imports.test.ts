/**
 * The layering rules, checked on the source: no import cycle between folders (src/<folder>, devices, lut,
 * export), no import cycle between files, and library code never imports from src/cli/ (the CLI passes
 * callbacks down). Type-only and dynamic imports count: a cycle through them still ties the folders together.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const TREES = ['src', 'devices', 'lut', 'export'];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(rel) : /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Relative imports of a file (static, type-only, re-exports, dynamic), as repository paths of .ts files. */
export function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:^|[\s;])(?:import|export)\b[^'";]*?\bfrom\s*['"](\.[^'"]+)['"]|\bimport\s*\(\s*['"](\.[^'"]+)['"]\s*\)|^\s*import\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
  return specs.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** The folder a file belongs to for the layering rule: src/<folder>, or the top-level tree. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts[0] === 'src' && parts.length > 2 ? `src/${parts[1]}` : parts[0];
}

/** Strongly connected components with more than one member (Tarjan). */
export function cycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return found;
}

const files = TREES.flatMap(sourceFiles);
const imports = new Map(files.map((f) => [f, importsOf(f, readFileSync(path.join(ROOT, f), 'utf8'))]));

function graph(unit: (f: string) => string): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const [f, targets] of imports) {
    const from = unit(f);
    if (!edges.has(from)) edges.set(from, new Set());
    for (const t of targets) if (unit(t) !== from) edges.get(from)!.add(unit(t));
  }
  return edges;
}

describe('import layering', () => {
  it('finds the imports it walks (the parser is not blind)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(importsOf('src/a/b.ts', "import type { X } from '../c/d.js';\nexport { y } from './e.js';\nconst m = await import('../../devices/f.js');")).toEqual(['src/c/d.ts', 'src/a/e.ts', 'devices/f.ts']);
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['a'])], ['c', new Set(['a'])]]))).toEqual([['a', 'b']]);
  });

  it('has no import cycle between folders', () => {
    const found = cycles(graph(folderOf)).map((scc) => scc.join(' ↔ '));
    expect(found, 'folders that import each other (move the shared contract down, e.g. into src/core/contracts.ts)').toEqual([]);
  });

  it('has no import cycle between files', () => {
    const found = cycles(graph((f) => f)).map((scc) => scc.join(' ↔ '));
    expect(found).toEqual([]);
  });

  it('library code never imports from src/cli/', () => {
    const offenders = [...imports].flatMap(([f, targets]) => (f.startsWith('src/cli/') ? [] : targets.filter((t) => t.startsWith('src/cli/')).map((t) => `${f} → ${t}`)));
    expect(offenders, 'pass a callback from the command instead').toEqual([]);
  });
});
