import { createRequire } from 'node:module';
import { CommanderError } from 'commander';
import { ConnectionError, LeaseholdClientError } from '@leasehold/client';
import { inCliTerms } from './cli-terms.js';
import { COUNTER } from './commands/counter.js';
import { KV } from './commands/kv.js';
import { LEASES } from './commands/leases.js';
import { LOCK } from './commands/lock.js';
import { SERVE, serveCommand } from './commands/serve.js';
import { STATUS } from './commands/status.js';
import { UNLOCK } from './commands/unlock.js';
import { WATCH } from './commands/watch.js';
import { CliError, EXIT } from './exit-codes.js';
import type { CommandSpec } from './options.js';
import type { Io } from './output.js';
import { InCommand, buildProgram, shortUsage } from './program.js';

/** Every subcommand, in the order `leasehold --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [SERVE, LOCK, UNLOCK, STATUS, LEASES, KV, COUNTER, WATCH];

/** The version of this package, as `leasehold --version` prints it. */
export function cliVersion(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}

/** Runs the `leasehold` command line and resolves with the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  // The server parses its own flags, --help included.
  if (argv[0] === 'serve') return serveCommand(argv.slice(1));
  let outcome: Promise<number> | undefined;
  try {
    const program = buildProgram(argv, COMMANDS, io, cliVersion(), (running) => {
      outcome = running;
    });
    program.parse([...argv], { from: 'user' });
    return await (outcome ?? Promise.resolve(EXIT.OK));
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  const command = error instanceof InCommand ? error.command : undefined;
  const cause = error instanceof InCommand ? error.cause : error;
  const usage = () => (command ? io.stderr.write(shortUsage(command)) : undefined);
  if (cause instanceof CommanderError) {
    // --help and --version end here with exit code 0, having printed what was asked.
    if (cause.exitCode === 0) return EXIT.OK;
    io.stderr.write(`leasehold: ${cause.message.replace(/^error: /, '')}\n`);
    usage();
    return EXIT.USAGE;
  }
  if (cause instanceof CliError) {
    io.stderr.write(`leasehold: ${cause.message}\n`);
    if (cause.exitCode === EXIT.USAGE) usage();
    return cause.exitCode;
  }
  if (cause instanceof ConnectionError) {
    io.stderr.write(`leasehold: cannot reach the server: ${cause.message}\n`);
    return EXIT.UNAVAILABLE;
  }
  if (cause instanceof LeaseholdClientError) {
    if (cause.errorCode === 'INVALID_ARGUMENT') {
      io.stderr.write(`leasehold: ${inCliTerms(cause.message)}\n`);
      usage();
      return EXIT.USAGE;
    }
    io.stderr.write(`leasehold: ${cause.errorCode}: ${cause.message}\n`);
    return EXIT.ERROR;
  }
  io.stderr.write(`leasehold: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`);
  return EXIT.ERROR;
}
