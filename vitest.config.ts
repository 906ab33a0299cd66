import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests import the workspace packages from source, so a test run never depends on a stale build.
export default defineConfig({
  resolve: {
    // Exact matches: `tessera-server/bundle` (what the CLI loads) is the same source as `tessera-server`.
    alias: [
      { find: /^tessera-protocol$/, replacement: src('protocol') },
      { find: /^tessera-client$/, replacement: src('client') },
      { find: /^tessera-server(\/bundle)?$/, replacement: src('server') },
      { find: /^tessera-server\/testing$/, replacement: fileURLToPath(new URL('./packages/server/src/testing.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
