import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseCommand, stringFlag } from '../options.js';
import type { Io } from '../output.js';
import { emit } from '../output.js';

export const UNLOCK_USAGE = `Usage: leasehold unlock NAME --lease LEASE_ID

Releases the lock NAME if LEASE_ID holds it. Prints released, not_held or held_by_other; exits 1
for held_by_other. To end the lease and everything on it, use: leasehold leases revoke LEASE_ID
`;

/** `leasehold unlock NAME --lease ID` */
export async function unlockCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = parseCommand(args, { lease: { type: 'string' } });
  if (parsed.values.help) {
    io.stdout.write(UNLOCK_USAGE);
    return EXIT.OK;
  }
  const [name, ...extra] = parsed.positionals;
  const lease = stringFlag(parsed, 'lease');
  if (!name) throw usageError('NAME: missing lock name');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  if (!lease) throw usageError('--lease: missing the id of the lease holding the lock');
  const client = clientFrom(parsed, io.env);
  try {
    const status = await client.locks.release(name, { lease });
    emit(io, parsed.values.json === true, { name, status }, () => `${name}: ${status.replace(/_/g, ' ')}`);
    return status === 'held_by_other' ? EXIT.ERROR : EXIT.OK;
  } finally {
    await client.close();
  }
}
