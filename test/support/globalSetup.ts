import type { TestProject } from 'vitest/node';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite.js';

let azurite: RunningAzurite | undefined;

/** One in-memory Azurite on free ports for the whole run; tests use their own container and queue names. */
export async function setup(project: TestProject): Promise<void> {
  azurite = await startAzurite();
  project.provide('storageConnectionString', azurite.connectionString);
}

export async function teardown(): Promise<void> {
  await azurite?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    storageConnectionString: string;
  }
}
