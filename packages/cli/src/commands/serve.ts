import { EXIT } from '../exit-codes.js';
import type { CommandSpec } from '../options.js';

/** `leasehold serve [server flags]`: runs the server in this process (flags as `leasehold serve --help`). */
export async function serveCommand(args: readonly string[]): Promise<number> {
  const server = await import('@leasehold/server');
  await server.main(args);
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
}

/** `leasehold serve`: the server's own flags follow (leasehold serve --help). */
export const SERVE: CommandSpec = {
  name: 'serve',
  usage: '[server flags]   (leasehold serve --help)',
  summary: 'run the Leasehold server (leasehold serve --help)',
  rawArgs: true,
  run: (parsed) => serveCommand(parsed.command),
};
