import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources: no build needed for unit tests. Spawned `mosn` processes use dist/.
    alias: [
      { find: /^@mosn\/([a-z0-9-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      // a package's test helpers (`@mosn/net/testing`): its `./testing` export
      { find: /^@mosn\/([a-z0-9-]+)\/testing$/, replacement: `${root}packages/$1/src/testing/index.ts` },
      { find: /^mosn$/, replacement: `${root}packages/mosn/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test-e2e/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
