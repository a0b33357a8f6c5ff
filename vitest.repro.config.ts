import { defineConfig } from 'vitest/config';

// Reproductions of known, not yet fixed bugs (test/repro/): they fail, so they stay out of `npm test`
// and CI; run them with `npx vitest run -c vitest.repro.config.ts` while working on the fix, then
// move the test into test/medium/ once it passes.
export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    include: ['test/repro/**/*.test.ts'],
    // Empty when no known bug is open.
    passWithNoTests: true,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
  },
});
