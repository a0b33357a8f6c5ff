import { defineConfig } from 'vitest/config';

// chdb crashes under worker threads: every test file runs in its own forked process,
// and files run one at a time because they share the machine's Postgres server.
export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    include: ['test/**/*.test.ts', 'apps/**/*.test.ts', 'libs/**/*.test.ts'],
    // test/repro/: known bugs, reproduced and failing until fixed (vitest.repro.config.ts runs them).
    exclude: ['test/repro/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
