/** Regenerates schemas/result.schema.json from the result record's zod schema (a test keeps them equal). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resultJsonSchema } from '../src/contracts/resultRecord.js';

mkdirSync('schemas', { recursive: true });
writeFileSync('schemas/result.schema.json', `${JSON.stringify(resultJsonSchema(), null, 2)}\n`);
console.log('wrote schemas/result.schema.json');
