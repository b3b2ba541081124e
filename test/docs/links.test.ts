/**
 * The README and docs/ say what the code does: every setting the config reads is in the README's table,
 * every `npm run` they name is a script, and every relative link leads to a file that exists.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/names.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pages = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const text = (page: string): string => readFileSync(join(ROOT, page), 'utf8');

describe('README and docs', () => {
  it('list every setting src/names.ts declares in the README configuration table', () => {
    const readme = text('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const missing = Object.values(SETTINGS).filter((name) => !table.includes(`\`${name}`));
    expect(missing, 'settings missing from the README configuration table').toEqual([]);
  });

  it('name only npm scripts that package.json has', () => {
    const scripts = Object.keys((JSON.parse(text('package.json')) as { scripts: Record<string, string> }).scripts);
    const named = new Set(pages.flatMap((page) => [...text(page).matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] ?? '')));
    expect([...named].filter((name) => !scripts.includes(name))).toEqual([]);
  });

  it('link only to files that exist', () => {
    const broken = pages.flatMap((page) =>
      [...text(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1] ?? '')
        .filter((target) => !/^[a-z]+:/.test(target))
        .filter((target) => !existsSync(resolve(ROOT, dirname(page), target)))
        .map((target) => `${page} -> ${target}`),
    );
    expect(broken).toEqual([]);
  });
});
