/** Zod's issues as short lines that name the field: for the repair request, failure records and config errors. */
import type { z } from 'zod';

/** `line_items[0].total`; the empty path is the value itself. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`),
    '',
  );
}

/** Zod's "Invalid input: " / "Invalid option: " add nothing once the field is named. */
const strip = (message: string): string => message.replace(/^Invalid (input|option): /, '');
const EXPECTED = /^expected (.+?)(?:, received (\S+))?$/;

/** A union (a nullable field, a nullable enum) reports "Invalid input"; its branches say what was expected. */
function unionMessage(issue: Extract<z.core.$ZodIssue, { code: 'invalid_union' }>): string {
  const branches = issue.errors.map((branch) => (branch.length === 1 ? EXPECTED.exec(strip(branch[0]?.message ?? '')) : null));
  if (branches.length > 0 && branches.every((match) => match !== null)) {
    const expected = [...new Set(branches.map((match) => match?.[1]))].join(' or ');
    const received = branches.find((match) => match?.[2] !== undefined)?.[2];
    return `expected ${expected}${received === undefined ? '' : `, received ${received}`}`;
  }
  return issue.errors.map((branch) => branch.map((inner) => strip(inner.message)).join(', ')).join('; or ');
}

/** What is wrong, without the field's name. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.code === 'invalid_union'
    ? unionMessage(issue)
    : issue.code === 'invalid_key'
      ? issue.issues.map((inner) => strip(inner.message)).join(', ')
      : strip(issue.message);
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  return `${path === '' ? '(root)' : path}: ${issueMessage(issue)}`;
}

export function describeIssues(error: z.ZodError, limit = 10): string[] {
  return error.issues.slice(0, limit).map((issue) => describeIssue(issue));
}
