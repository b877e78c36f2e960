import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// `source` points the workspace packages at their TypeScript, so tests need no build. Vite 6+
// resolves test (SSR) imports with the ssr conditions, so both lists carry it.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
