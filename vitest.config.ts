import { defineConfig } from 'vitest/config';

// `source` points the workspace packages at their TypeScript, so tests need no build. Tests run in
// Vite's server environment, whose conditions are separate, so both lists carry it (the rest of the
// server list is Vite's own default, spelled out rather than importing vite, which is not a direct dependency).
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'bench/**/*.test.ts',
      'torture/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
