/**
 * `schemas/result.schema.json` is the documented contract of what lands in the results container: it
 * must be exactly what the code generates, and real records must satisfy it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resultJsonSchema, resultRecordSchema } from '../../src/contracts/resultRecord.js';
import { resultPath } from '../../src/contracts/blobPaths.js';
import { startTestHost, type TestHost } from '../support/testHost.js';
import { fixture } from '../support/fixtures.js';

const SCHEMA_FILE = new URL('../../schemas/result.schema.json', import.meta.url);
const committed = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;

/** A validator built from the committed JSON Schema file itself, not from the zod schema it came from. */
const fromFile = z.fromJSONSchema(committed as Parameters<typeof z.fromJSONSchema>[0]);

describe('schemas/result.schema.json', () => {
  it('equals resultJsonSchema() from src/contracts/resultRecord.ts', () => {
    expect(
      committed,
      'schemas/result.schema.json is out of date with src/contracts/resultRecord.ts: run `npx tsx scripts/write-result-schema.ts` and commit the file',
    ).toEqual(resultJsonSchema());
  });

  it('rejects records that break the contract', () => {
    const minimal = {
      schemaVersion: 1,
      status: 'failed',
      source: { container: 'c', blob: 'b', etag: 'e', size: null, sha256: null, mime: null, width: null, height: null, lastModified: null },
      profile: null,
      provider: { name: null, model: null },
      detail: null,
      usage: { imageTokensEstimated: null, promptTokens: null, completionTokens: null, estimatedCostUsd: null },
      timings: { downloadMs: null, prepareMs: null, modelMs: null, totalMs: 0 },
      attempt: 1,
      warnings: [],
      createdAt: '2024-01-01T00:00:00.000Z',
    };
    expect(fromFile.safeParse(minimal).success).toBe(true);
    expect(fromFile.safeParse({ ...minimal, status: 'done' }).success).toBe(false);
    expect(fromFile.safeParse({ ...minimal, schemaVersion: 2 }).success).toBe(false);
    expect(fromFile.safeParse({ ...minimal, attempt: 0 }).success).toBe(false);
    expect(fromFile.safeParse({ ...minimal, source: { ...minimal.source, size: -1 } }).success).toBe(false);
    const { createdAt: _createdAt, ...withoutCreatedAt } = minimal;
    expect(fromFile.safeParse(withoutCreatedAt).success).toBe(false);
  });
});

describe('records written by the worker', () => {
  let t: TestHost;
  beforeAll(async () => {
    t = await startTestHost();
  });
  afterAll(async () => {
    await t.stop();
  });

  async function rawRecord(blob: string): Promise<unknown> {
    await t.waitForRecord(blob);
    const bytes = await t.storage.blobs
      .getContainerClient(t.config.names.resultsContainer)
      .getBlobClient(resultPath(blob))
      .downloadToBuffer();
    return JSON.parse(bytes.toString('utf8')) as unknown;
  }

  it('a success record validates against the committed JSON Schema and the zod schema', async () => {
    await t.upload('schema/photo.jpg', fixture('photo.jpg'));
    const record = await rawRecord('schema/photo.jpg');
    expect(resultRecordSchema.parse(record).status, JSON.stringify(record)).toBe('succeeded');
    const checked = fromFile.safeParse(record);
    expect(checked.error?.issues ?? []).toEqual([]);
  });

  it('a failure record validates too', async () => {
    await t.upload('schema/notes.png', fixture('notes.txt'));
    const record = await rawRecord('schema/notes.png');
    expect(resultRecordSchema.parse(record).status).toBe('failed');
    const checked = fromFile.safeParse(record);
    expect(checked.error?.issues ?? []).toEqual([]);
  });
});
