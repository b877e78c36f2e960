import { ConnectionError, LeaseholdClientError } from '@leasehold/client';
import { counterCommand } from './commands/counter.js';
import { kvCommand } from './commands/kv.js';
import { leasesCommand } from './commands/leases.js';
import { lockCommand } from './commands/lock.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { unlockCommand } from './commands/unlock.js';
import { watchCommand } from './commands/watch.js';
import { CliError, EXIT } from './exit-codes.js';
import type { Io } from './output.js';

export const USAGE = `Usage: leasehold COMMAND [options]

Commands:
  serve                     run the Leasehold server (leasehold serve --help)
  lock NAME -- COMMAND...   run COMMAND while holding lock NAME
  unlock NAME --lease ID    release a lock held by a lease
  status [NAME|--prefix P]  show a lock, or the held locks
  leases list|get|revoke    inspect and end leases
  kv get|put|del|list       read, write and list keys
  counter get|add|set       atomic counters
  watch PREFIX              print changes under PREFIX

Global options (every command):
  --url URL          server (LEASEHOLD_URL, default http://127.0.0.1:3500); https:// for TLS
  --ca FILE          PEM CA that signed an https:// server's certificate (LEASEHOLD_CA_FILE)
  --store NAME       lock store (LEASEHOLD_STORE, default lockstore)
  --token TOKEN      API token (LEASEHOLD_API_TOKEN)
  --transport KIND   http (default) or stream (LEASEHOLD_TRANSPORT)
  --json             machine-readable output
  -h, --help         help for the command

Exit codes: 0 ok, 1 refused by the server, 2 bad usage, 69 server unreachable,
75 lock not acquired, 76 lock lost (command stopped), 127 command not found.
`;

type Command = (args: readonly string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  lock: lockCommand,
  unlock: unlockCommand,
  status: statusCommand,
  leases: leasesCommand,
  kv: kvCommand,
  counter: counterCommand,
  counters: counterCommand,
  watch: watchCommand,
};

/** Runs the `leasehold` command line and resolves with the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(USAGE);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`leasehold: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    return report(error, io);
  }
}

function report(error: unknown, io: Io): number {
  if (error instanceof CliError) {
    io.stderr.write(`leasehold: ${error.message}\n`);
    if (error.exitCode === EXIT.USAGE) io.stderr.write(`Run "leasehold --help" for usage.\n`);
    return error.exitCode;
  }
  if (error instanceof ConnectionError) {
    io.stderr.write(`leasehold: cannot reach the server: ${error.message}\n`);
    return EXIT.UNAVAILABLE;
  }
  if (error instanceof LeaseholdClientError) {
    io.stderr.write(`leasehold: ${error.errorCode}: ${error.message}\n`);
    return error.errorCode === 'INVALID_ARGUMENT' ? EXIT.USAGE : EXIT.ERROR;
  }
  io.stderr.write(`leasehold: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.ERROR;
}
