import { EXIT } from '../exit-codes.js';
import type { Io } from '../output.js';

/** `leasehold serve [server flags]`: runs the server in this process (flags as `leasehold serve --help`). */
export async function serveCommand(args: readonly string[], _io: Io): Promise<number> {
  const server = await import('@leasehold/server');
  await server.main(args);
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
}
