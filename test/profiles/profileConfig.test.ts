/**
 * The profile file: user-defined profiles, rules and manifest-only prefixes load from YAML or JSON, and
 * every mistake stops the start with a message naming the file and the field.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEFAULT_PROFILE, DEFAULT_RULES, selectProfileName, isManifestOnly } from '../../src/profiles/catalog.js';
import { builtInProfiles } from '../../src/profiles/index.js';
import { strictSubsetProblems } from '../../src/profiles/jsonSchemaSubset.js';
import { readProfileFile } from '../../src/profiles/profileConfig.js';
import { exampleProfileFile } from '../support/profileExamples.js';

const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
const BUILT_INS = new Set(builtInProfiles.keys());

function write(name: string, content: string | object): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
}

/** A valid user-defined profile, to break one field at a time. */
const profile = () => ({
  system: 'You read parking tickets.',
  user: 'Extract the ticket.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['plate', 'fine'],
    properties: { plate: { type: 'string' }, fine: { type: ['number', 'null'] } },
  },
});

/** The ConfigError message that loading `content` (as profiles.json) produces. */
function errorFor(content: object | string, name = 'profiles.json'): string {
  try {
    readProfileFile(write(name, content), name, BUILT_INS);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the profile file to be refused');
}

describe('profile file: loading', () => {
  it('loads the full example of docs/profiles.md', () => {
    const file = readProfileFile(write('example.yaml', exampleProfileFile()), 'example.yaml', BUILT_INS);
    expect(file.defaultProfile).toBe('describe');
    expect(file.rules?.[1]).toEqual({ prefix: 'receipts/eu/', profile: 'receipts-eu' });
    expect(file.manifestOnlyPrefixes).toEqual(['compare/']);
    const [eu] = file.profiles;
    expect(eu).toMatchObject({
      name: 'receipts-eu',
      detail: 'high',
      maxOutputTokens: 1200,
      model: 'gpt-5-mini',
      prepare: { format: 'png' },
    });
    expect(eu?.user).toBe('Extract the merchant, the VAT number, every line with its VAT rate, and the total.');
    const answer = {
      merchant: 'Rewe',
      vat_number: null,
      currency: 'EUR',
      lines: [{ description: 'Brot', amount: 2.49, vat_rate: 7 }],
      total: 2.49,
    };
    expect(eu?.schema.safeParse(answer).success).toBe(true);
    // The JSON Schema is sent as written: `"null"` in a type list stays a type name, a bare null in enum the value.
    expect((eu?.jsonSchema.properties as Record<string, unknown>)['currency']).toEqual({
      type: ['string', 'null'],
      enum: ['EUR', 'SEK', 'DKK', 'PLN', 'CZK', 'HUF', 'RON', 'BGN', null],
    });
  });

  it('loads JSON the same way and fills in the defaults', () => {
    const file = readProfileFile(write('tickets.json', { profiles: { tickets: profile() } }), 'tickets.json', BUILT_INS);
    expect(file.rules).toBeUndefined();
    expect(file.defaultProfile).toBeUndefined();
    expect(file.profiles[0]).toMatchObject({ name: 'tickets', detail: 'auto', maxOutputTokens: 1000, prepare: { format: 'auto' } });
    expect(file.profiles[0]?.model).toBeUndefined();
  });

  it('validates answers against the JSON Schema, naming the field', () => {
    const [tickets] = readProfileFile(write('v.json', { profiles: { tickets: profile() } }), 'v.json', BUILT_INS).profiles;
    expect(tickets?.schema.safeParse({ plate: 'AB-123', fine: null }).success).toBe(true);
    const wrong = tickets?.schema.safeParse({ plate: 7, fine: '40', extra: true });
    expect(wrong?.success).toBe(false);
    const paths = wrong?.error?.issues.map((issue) => issue.path.join('.')).sort();
    expect(paths).toEqual(['', 'fine', 'plate']);
  });

  it('sends format keywords as words in the description, and validates them', () => {
    const p = profile();
    p.schema.properties.plate = { type: ['string', 'null'], description: 'As printed', pattern: '^[A-Z]+-\\d+$', maxLength: 12 } as never;
    p.schema.properties.fine = { type: ['number', 'null'], minimum: 0, multipleOf: 0.5 } as never;
    const [tickets] = readProfileFile(write('f.json', { profiles: { tickets: p } }), 'f.json', BUILT_INS).profiles;
    // Strict structured outputs (Azure) refuse the keywords: the schema sent must not carry them.
    expect(strictSubsetProblems(tickets?.jsonSchema, 'sent')).toEqual([]);
    expect(tickets?.jsonSchema.properties).toEqual({
      plate: { type: ['string', 'null'], description: 'As printed (must match the pattern ^[A-Z]+-\\d+$, at most 12 characters)' },
      fine: { type: ['number', 'null'], description: '(at least 0, a multiple of 0.5)' },
    });
    expect(tickets?.schema.safeParse({ plate: 'AB-123', fine: 40.5 }).success).toBe(true);
    const wrong = tickets?.schema.safeParse({ plate: 'ab 123', fine: -1 });
    expect(wrong?.error?.issues.map((issue) => [issue.path.join('.'), issue.code])).toEqual([
      ['plate', 'invalid_format'],
      ['fine', 'too_small'],
    ]);
  });

  it('treats an empty file as an empty configuration', () => {
    expect(readProfileFile(write('empty.yaml', ''), 'empty.yaml', BUILT_INS).profiles).toEqual([]);
  });
});

describe('profile file: errors name the file and the field', () => {
  it('a schema that is not an object', () => {
    expect(errorFor({ profiles: { 'receipts-eu': { ...profile(), schema: 'receipt' } } })).toBe(
      'profiles.json: profiles.receipts-eu.schema: must be an object (a JSON Schema)',
    );
  });

  it('a keyword outside the strict subset and the format keywords', () => {
    const p = profile();
    p.schema.properties.fine = { type: ['number', 'null'], const: 40 } as never;
    expect(errorFor({ profiles: { tickets: p } })).toContain(
      'profiles.json: profiles.tickets.schema.properties.fine: "const" is not supported',
    );
  });

  it('a format keyword with a bad setting, on the wrong type, beside an enum or an anyOf', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['a', 'b', 'c', 'd', 'e'],
      properties: {
        a: { type: 'string', pattern: '[unclosed' },
        b: { type: 'string', format: 'phone' },
        c: { type: 'string', minimum: 1 },
        d: { type: 'string', enum: ['x', 'y'], minLength: 1 },
        e: { anyOf: [{ type: 'string' }, { type: 'null' }], maxLength: 3 },
      },
    };
    const lines = errorFor({ profiles: { tickets: { ...profile(), schema } } }).split('\n');
    const at = 'profiles.json: profiles.tickets.schema.properties';
    expect(lines).toEqual([
      `${at}.a.pattern: must be a regular expression`,
      `${at}.b.format: must be one of date-time, date, time, duration, email, hostname, ipv4, ipv6, uri, uuid`,
      `${at}.c.minimum: only applies to "type": "number" or "integer"`,
      `${at}.d.minLength: cannot be combined with "enum"`,
      `${at}.e: "anyOf" cannot be combined with "maxLength"; put them in the branches`,
    ]);
  });

  it('an optional property (strict mode needs every property required)', () => {
    const p = profile();
    p.schema.required = ['plate'];
    expect(errorFor({ profiles: { tickets: p } })).toMatch(
      /^profiles\.json: profiles\.tickets\.schema\.required: must list every property .*missing fine\. For a value that may be absent, add "null" to its type instead$/,
    );
  });

  it('an object without additionalProperties: false, an array without items, an unknown type', () => {
    const schema = {
      type: 'object',
      required: ['a', 'b'],
      properties: { a: { type: 'array' }, b: { type: 'money' } },
    };
    const lines = errorFor({ profiles: { tickets: { ...profile(), schema } } }).split('\n');
    expect(lines).toEqual([
      'profiles.json: profiles.tickets.schema.additionalProperties: must be false (strict structured outputs)',
      'profiles.json: profiles.tickets.schema.properties.a.items: is required for "type": "array"',
      'profiles.json: profiles.tickets.schema.properties.b.type: "money" is not one of object, array, string, number, integer, boolean, null',
    ]);
  });

  it('a bare YAML null in a type list', () => {
    const yaml = [
      'profiles:',
      '  tickets:',
      '    system: s',
      '    user: u',
      '    schema:',
      '      type: object',
      '      additionalProperties: false',
      '      required: [fine]',
      '      properties:',
      '        fine: { type: [number, null] }',
    ].join('\n');
    expect(errorFor(yaml, 'profiles.yaml')).toBe(
      "profiles.yaml: profiles.tickets.schema.properties.fine.type: lists the value null; in YAML write the type name quoted, 'null'",
    );
  });

  it('a top level that is not an object', () => {
    expect(errorFor({ profiles: { tickets: { ...profile(), schema: { type: 'array', items: { type: 'string' } } } } })).toContain(
      'profiles.json: profiles.tickets.schema.type: the top level must be "object"',
    );
  });

  it('a missing prompt, a bad detail and a mistyped field', () => {
    const { user: _user, ...rest } = profile();
    const lines = errorFor({ profiles: { tickets: { ...rest, detail: 'medium', maxOutputToken: 500 } } }).split('\n');
    expect(lines).toContain('profiles.json: profiles.tickets.user: expected string, received undefined');
    expect(lines).toContain('profiles.json: profiles.tickets.detail: expected one of "low"|"high"|"auto"');
    expect(lines).toContain('profiles.json: profiles.tickets: Unrecognized key: "maxOutputToken"');
  });

  it('a rule or default naming a profile that does not exist', () => {
    const message = errorFor({
      default: 'photo',
      rules: [
        { prefix: 'a/', profile: 'invoice' },
        { prefix: 'b/', profile: 'receipt-eu' },
      ],
    });
    expect(message).toContain('profiles.json: default: "photo" is not a known profile; known: describe,');
    expect(message).toContain('profiles.json: rules[1].profile: "receipt-eu" is not a known profile');
  });

  it('a user-defined profile that reuses a built-in name', () => {
    expect(errorFor({ profiles: { invoice: profile() } })).toBe(
      'profiles.json: profiles.invoice: "invoice" is a built-in profile; give yours another name',
    );
  });

  it('a profile name that could not appear in blob metadata', () => {
    expect(errorFor({ profiles: { 'Receipts EU': profile() } })).toMatch(/^profiles\.json: profiles\.Receipts EU: must be a profile name/);
  });

  it('a file that is not YAML, or not JSON', () => {
    expect(errorFor('profiles:\n  a: [1, 2\n', 'broken.yaml')).toMatch(/^broken\.yaml: is not valid YAML: .*line 3/s);
    expect(errorFor('{ "profiles": ', 'broken.json')).toMatch(/^broken\.json: is not valid JSON: /);
  });

  it('a top-level typo', () => {
    expect(errorFor({ rule: [] })).toBe('profiles.json: Unrecognized key: "rule"');
  });
});

describe('PROFILES_FILE and the environment', () => {
  const fileWithRules = () =>
    write(
      'with-rules.yaml',
      'default: tickets\nrules:\n  - prefix: parking/\n    profile: tickets\nprofiles:\n' + `  tickets: ${JSON.stringify(profile())}\n`,
    );

  it('without a file or settings: the built-ins, invoices/ and receipts/ rules, describe by default', () => {
    const { profiles } = loadConfig({});
    expect([...profiles.profiles.keys()]).toEqual([...BUILT_INS]);
    expect(profiles.rules).toEqual(DEFAULT_RULES);
    expect(profiles.defaultProfile).toBe(DEFAULT_PROFILE);
    expect(selectProfileName(profiles, 'receipts/2024/lunch.jpg', undefined)).toBe('receipt');
    expect(selectProfileName(profiles, 'receipts/2024/lunch.jpg', 'describe')).toBe('describe');
    expect(selectProfileName(profiles, 'holiday/beach.jpg', undefined)).toBe('describe');
  });

  it('reads the file PROFILES_FILE names, with its rules, default and manifest-only prefixes', () => {
    const path = write('full.yaml', exampleProfileFile());
    const { profiles } = loadConfig({ PROFILES_FILE: path });
    expect(profiles.profiles.get('receipts-eu')?.name).toBe('receipts-eu');
    expect(selectProfileName(profiles, 'receipts/eu/berlin.jpg', undefined)).toBe('receipts-eu');
    expect(selectProfileName(profiles, 'receipts/us/nyc.jpg', undefined)).toBe('receipt');
    expect(isManifestOnly(profiles, 'compare/q1/jan.png')).toBe(true);
    expect(isManifestOnly(profiles, 'dashboards/jan.png')).toBe(false);
  });

  it('refuses a PROFILES_FILE that does not exist', () => {
    expect(() => loadConfig({ PROFILES_FILE: 'config/nope.yaml' })).toThrow(
      /^PROFILES_FILE: "config\/nope\.yaml" does not exist \(looked for .*config\/nope\.yaml\)$/,
    );
  });

  it('refuses rules in both PROFILE_RULES and the file, and a default in both', () => {
    const path = fileWithRules();
    expect(() => loadConfig({ PROFILES_FILE: path, PROFILE_RULES: 'x/=invoice' })).toThrow(
      `PROFILE_RULES: is set, and ${path} has "rules" too; keep the rules in one place`,
    );
    expect(() => loadConfig({ PROFILES_FILE: path, DEFAULT_PROFILE: 'invoice' })).toThrow(
      `DEFAULT_PROFILE: is set, and ${path} has "default" too; keep the default in one place`,
    );
  });

  it('lets PROFILE_RULES and DEFAULT_PROFILE name the file’s profiles when the file has no rules', () => {
    const path = write('only-profiles.json', { profiles: { tickets: profile() } });
    const { profiles } = loadConfig({ PROFILES_FILE: path, PROFILE_RULES: 'parking/=tickets', DEFAULT_PROFILE: 'tickets' });
    expect(profiles.rules).toEqual([{ prefix: 'parking/', profile: 'tickets' }]);
    expect(profiles.defaultProfile).toBe('tickets');
    expect(() => loadConfig({ PROFILE_RULES: 'parking/=tickets' })).toThrow(
      /^PROFILE_RULES: rule "parking\/=tickets" names an unknown profile; known: describe,/,
    );
  });

  it('names a file inside the app root by its relative path', () => {
    expect(() => loadConfig({ PROFILES_FILE: 'package.json' })).toThrow(/^package\.json: Unrecognized keys?: "name"/);
  });
});
