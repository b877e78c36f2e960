import { basename, join } from 'node:path';

/**
 * How the bench's child processes run Leasehold's code: as the driver was started. `npm run bench`
 * builds first and runs the compiled packages (what users run); with `--conditions=source` (as
 * `bench/bench.test.ts` starts it) every process runs the TypeScript sources through tsx instead,
 * whose name-keeping wrappers cost time on every closure created per call.
 */
export const FROM_SOURCE = process.execArgv.includes('--conditions=source');

/** Node flags for a child that runs a bench `.ts` script importing the packages. */
export function scriptFlags(): string[] {
  return FROM_SOURCE ? ['--conditions=source', '--import', 'tsx'] : ['--import', 'tsx'];
}

/**
 * The command line of a child running the bench script `script` (relative to the repo root): the
 * sources through tsx when the driver runs from source; otherwise the script bundled by esbuild
 * (packages left external, so it loads their compiled `dist/`) and run by plain node. A child that
 * reports its own memory must not carry a TypeScript loader: tsx alone is about 28 MiB of RSS.
 */
export async function scriptCommand(script: string, repoRoot: string): Promise<string[]> {
  if (FROM_SOURCE) return [...scriptFlags(), script];
  const { build } = await import('esbuild');
  // Under node_modules: resolved like the repo's own files, and left alone by lint and git.
  const outfile = join(
    repoRoot,
    'node_modules',
    '.cache',
    'leasehold-bench',
    basename(script).replace(/\.ts$/, '.mjs'),
  );
  await build({
    absWorkingDir: repoRoot,
    entryPoints: [script],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return [outfile];
}
