import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../packages/server/test/support/server-process.js';
import { extractBlocks } from './support/doc-blocks.js';
import {
  PACKAGES,
  appEnvironment,
  installApp,
  packWorkspaces,
  runNode,
  serveFromApp,
} from './support/packed-app.js';

/** The program docs/sdk.md shows under "Use it in your app". */
function appFromDocs(): string {
  const block = extractBlocks(join(REPO_ROOT, 'docs', 'sdk.md')).find(
    (b) => b.lang === 'js' && b.code.startsWith('// app.mjs'),
  );
  if (!block) throw new Error('docs/sdk.md has no `// app.mjs` block');
  return block.code;
}

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

/**
 * What a user of the SDK gets: the four packages packed as npm would publish them, installed into a
 * fresh app outside this repository, with no workspace links, no `source` condition and no registry
 * download of our own packages.
 */
describe('the packed packages in an app of your own', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'leasehold-pack-'));
  let app: string;
  let env: NodeJS.ProcessEnv;
  let server: { child: ChildProcess; port: number; log: () => string } | undefined;
  const timings: string[] = [];
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings.push(`${label} ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };

  beforeAll(async () => {
    const tarballs = await timed('npm run build + npm pack', () =>
      packWorkspaces(REPO_ROOT, join(scratch, 'tarballs')),
    );
    // libsql's binary comes in a registry package for the platform: nothing compiles, nothing downloads.
    env = appEnvironment({});
    const installed = await timed('npm install', () => installApp(tarballs, env));
    app = installed.dir;
    timings.push(`(installed with --${installed.mode})`);
    writeFileSync(join(app, 'app.mjs'), appFromDocs());
  }, 180_000);

  afterAll(() => {
    server?.child.kill('SIGTERM');
    console.log(`pack test timings: ${timings.join(', ')}`);
    rmSync(scratch, { recursive: true, force: true });
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('ships each package with exports for types and default, files, engines and real version ranges', () => {
    for (const name of PACKAGES) {
      const dir = join(app, 'node_modules', ...name.split('/'));
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(pkg.version, name).toBe(version);
      expect(pkg.engines?.node, name).toBe('>=20');
      expect(pkg.files, name).toContain('dist');
      for (const [subpath, entry] of Object.entries<any>(pkg.exports)) {
        if (subpath === './package.json') continue;
        expect(entry, `${name} ${subpath}`).toMatchObject({
          types: expect.any(String),
          default: expect.any(String),
        });
        // What a consumer resolves exists in the tarball; the source condition's target does not ship.
        expect(() => readFileSync(join(dir, entry.types)), `${name} ${subpath} types`).not.toThrow();
        expect(() => readFileSync(join(dir, entry.default)), `${name} ${subpath} default`).not.toThrow();
        expect(() => readFileSync(join(dir, entry.source)), `${name} ships no source`).toThrow();
      }
      for (const [dep, range] of Object.entries<string>(pkg.dependencies ?? {})) {
        if (dep.startsWith('@leasehold/')) expect(range, `${name} -> ${dep}`).toBe(`^${version}`);
      }
    }
    const cli = JSON.parse(
      readFileSync(join(app, 'node_modules', '@leasehold', 'cli', 'package.json'), 'utf8'),
    );
    expect(cli.bin).toEqual({ leasehold: './bin/leasehold.js' });
  });

  it('runs the docs/sdk.md program in-process', async () => {
    const result = await timed('app.mjs in-process', () => runNode(app, ['app.mjs'], env));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('holding lock:report with fencing token 1\nreports made: 1\n');
  });

  it('runs it against `leasehold serve` from the packed CLI, over the stream and the CLI over HTTP', async () => {
    server = await timed('leasehold serve start', () => serveFromApp(app, env));
    const url = `http://127.0.0.1:${server.port}`;
    const result = await timed('app.mjs against the server', () =>
      runNode(app, ['app.mjs'], { ...env, LEASEHOLD_URL: url }),
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('holding lock:report with fencing token 1\nreports made: 1\n');
    const bin = join(app, 'node_modules', '@leasehold', 'cli', 'bin', 'leasehold.js');
    const status = await runNode(app, [bin, 'counter', 'get', 'reports', '--url', url], env);
    expect(status).toMatchObject({ stdout: '1\n', code: 0 });
  });

  it('loads from CommonJS through require(esm) where Node has it, and says ERR_REQUIRE_ESM where not', async () => {
    writeFileSync(
      join(app, 'app.cjs'),
      [
        "const { LeaseholdClient } = require('@leasehold/client');",
        'const client = LeaseholdClient.inProcess();',
        "client.counters.add('cjs').then((n) => { console.log(`cjs: ${n}`); return client.close(); });",
      ].join('\n'),
    );
    const result = await runNode(app, ['app.cjs'], env);
    if ((process.features as { require_module?: boolean }).require_module === true) {
      expect(result).toMatchObject({ stdout: 'cjs: 1\n', code: 0 });
    } else {
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('ERR_REQUIRE_ESM');
    }
  });

  it('type-checks a TypeScript consumer against the shipped declarations', async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          // The user's own @types/node; the repository's stands in for it.
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['consumer.mts'],
      }),
    );
    writeFileSync(
      join(app, 'consumer.mts'),
      [
        "import { LeaseholdClient, LockNotAcquiredError } from '@leasehold/client';",
        'const client: LeaseholdClient = LeaseholdClient.inProcess();',
        "const total: number = await client.counters.add('x');",
        '// @ts-expect-error the name must be a string: proves the types are real, not `any`',
        'await client.counters.add(42);',
        'export { total, LockNotAcquiredError };',
      ].join('\n'),
    );
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await timed('tsc on a consumer', () => runNode(app, [tsc, '-p', 'tsconfig.json'], env));
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
