/**
 * No import cycle between the folders of src/ (type imports included): each folder builds only on those
 * below it. Top-level files count each as their own node, like a folder of one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?[^'"]*?\bfrom\s+'(\.{1,2}\/[^']+)'/gm;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** `pipeline/` for src/pipeline/x.ts, `config.ts` for src/config.ts. */
function nodeOf(file: string): string {
  const [first = '', ...rest] = relative(SRC, file).split('/');
  return first + (rest.length === 0 ? '' : '/');
}

/** node -> node -> one import that makes the edge (to name it in a failure). */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources(SRC)) {
    const from = nodeOf(file);
    for (const [, specifier = ''] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      const to = nodeOf(target);
      if (to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${relative(SRC, file)} -> ${specifier}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** Every cycle found by a depth-first search, each as its path of imports. */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const [next] of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...path.slice(path.indexOf(next)), next];
        found.push(loop.slice(1).map((to, i) => graph.get(loop[i] ?? '')?.get(to) ?? `${loop[i]} -> ${to}`));
      } else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return found;
}

describe('the folders of src/', () => {
  it('import each other without a cycle', () => {
    expect(cycles(folderGraph())).toEqual([]);
  });

  it('are read by the check (a cycle made on purpose is found)', () => {
    const graph = new Map([
      ['a', new Map([['b', 'a/x.ts -> ../b/y.js']])],
      ['b', new Map([['a', 'b/y.ts -> ../a/x.js']])],
    ]);
    expect(cycles(graph)).toEqual([['a/x.ts -> ../b/y.js', 'b/y.ts -> ../a/x.js']]);
    expect(folderGraph().get('pipeline/')?.has('storage/')).toBe(true);
  });
});
