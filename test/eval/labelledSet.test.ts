import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { loadLabelledSet } from '../../eval/labelledSet.js';

const config = loadConfig({});

describe('loadLabelledSet', () => {
  let dir: string;
  const put = async (name: string, content: string | object): Promise<void> => {
    const path = join(dir, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'labelled-set-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pairs each file with its label, takes the profile from the path rules, and lists files without one', async () => {
    await put('receipts/clean/cafe.png', 'png');
    await put('receipts/clean/cafe.png.expected.json', { merchant: 'Cafe', total: 4.5 });
    await put('invoices/inv-1.jpg', 'jpg');
    await put('invoices/inv-1.jpg.expected.json', { vendor: 'Acme', date: '2024-03-05' });
    await put('invoices/inv-2.jpg', 'jpg');
    await put('notes/readme.txt', 'no label');

    const set = await loadLabelledSet(dir, config);

    expect(set.files.map((file) => [file.blobName, file.profile, file.expected])).toEqual([
      ['invoices/inv-1.jpg', 'invoice', { vendor: 'Acme', date: '2024-03-05' }],
      ['receipts/clean/cafe.png', 'receipt', { merchant: 'Cafe', total: 4.5 }],
    ]);
    expect(set.files[0]?.path).toBe(join(dir, 'invoices', 'inv-1.jpg'));
    expect(set.unlabelled).toEqual(['invoices/inv-2.jpg', 'notes/readme.txt']);
  });

  it("rejects an expected key that is not a field of the file's profile, naming the label, the key and the fields", async () => {
    await put('receipts/cafe.png', 'png');
    await put('receipts/cafe.png.expected.json', { merchant: 'Cafe', vendor: 'Cafe' });

    await expect(loadLabelledSet(dir, config)).rejects.toThrow(
      /^receipts\/cafe\.png\.expected\.json: "vendor" not a field of profile "receipt" \(its fields: merchant, date, .*total/,
    );
  });

  it('gives every file the --profile profile instead of the path rules, and checks the labels against it', async () => {
    await put('receipts/cafe.png', 'png');
    await put('receipts/cafe.png.expected.json', { vendor: 'Cafe', invoice_number: 'A-1' });

    const set = await loadLabelledSet(dir, config, 'invoice');
    expect(set.files.map((file) => file.profile)).toEqual(['invoice']);
    await expect(loadLabelledSet(dir, config)).rejects.toThrow(/"vendor", "invoice_number" not a field of profile "receipt"/);
    await expect(loadLabelledSet(dir, config, 'no-such-profile')).rejects.toThrow(
      'receipts/cafe.png.expected.json: profile "no-such-profile" is not known',
    );
  });

  it('refuses a label that is not a JSON object', async () => {
    await put('receipts/a.png', 'png');
    await put('receipts/a.png.expected.json', '[1, 2]');
    await expect(loadLabelledSet(dir, config)).rejects.toThrow(
      'receipts/a.png.expected.json: expected a JSON object of field values, got [1,2]',
    );
    await put('receipts/a.png.expected.json', '{ merchant: ');
    await expect(loadLabelledSet(dir, config)).rejects.toThrow(/^receipts\/a\.png\.expected\.json: not valid JSON/);
  });
});
