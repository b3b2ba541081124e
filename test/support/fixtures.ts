import { readFileSync } from 'node:fs';

/** The bytes of a committed test fixture (test/fixtures/, written by scripts/make-fixtures.ts). */
export const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
