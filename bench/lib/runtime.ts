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
