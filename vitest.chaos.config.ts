/**
 * `npm run test:chaos`: the reliability tests (hostile inputs, injected model faults, a killed host, a
 * restarted storage emulator). One file at a time: each loads the machine on purpose, and they must not
 * starve each other of the two CI cores.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
