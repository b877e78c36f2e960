// The layering `npm run lint` enforces (docs/adr/0012-enforced-layering.md, docs/architecture.md).
// Type-only imports count: a cycle through `import type` is still two files that cannot be read apart.

/** Node built-ins core may use: none of them reach a file, a socket or a process. */
const CORE_BUILTINS = ['crypto', 'assert', 'assert/strict', 'events'];

/**
 * The op table's data, which `@leasehold/core/ops` (the SDK's import) loads: each primitive's
 * `*-ops.ts` and the files of `ops/` that merge and read them. Handlers and services are not data.
 */
const OPS_DATA =
  '^packages/core/src/(ops/(index|op-spec|op-table|op-routes|store-ops)|[a-z]+/[a-z-]+-ops)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment:
        'Two modules that import each other, directly or around a loop: give the shared part a file of its own.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-no-io-builtins',
      severity: 'error',
      comment: `Core does no I/O: of the Node built-ins it may use only ${CORE_BUILTINS.join(', ')}.`,
      from: { path: '^packages/core/src/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['core'], pathNot: `^(node:)?(${CORE_BUILTINS.join('|')})$` },
    },
    {
      name: 'core-no-packages',
      severity: 'error',
      comment:
        'Core depends on nothing: no driver, transport or logging package, and no other workspace package (they depend on core).',
      from: { path: '^packages/core/src/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypesNot: ['core'], pathNot: '^packages/core/src/' },
    },
    {
      name: 'ops-data-light',
      severity: 'error',
      comment:
        "The op table's data imports only other op data: no service, handler or engine, so the SDK's `@leasehold/core/ops` stays light.",
      from: { path: OPS_DATA },
      to: { pathNot: OPS_DATA },
    },
    {
      name: 'client-not-server',
      severity: 'error',
      comment:
        'The SDK talks to a server over the wire or runs core in process; it never links the server in.',
      from: { path: '^packages/client/src/' },
      to: { path: '^packages/server/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import the layering check cannot resolve is one it cannot judge.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Excluding node_modules would drop the dependencies on packages too; not following them is enough.
    exclude: { path: '(^|/)dist/' },
    // Follow workspace packages (symlinked into node_modules) to their sources; stop at third-party code.
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      // `@leasehold/*` resolve to `src/*.ts` through their `source` export, as in tsc and vitest.
      conditionNames: ['source', 'import', 'types', 'node', 'default'],
      exportsFields: ['exports'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
    cache: false,
  },
};
