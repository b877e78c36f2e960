import { LeaseNotFoundError } from '@leasehold/client';
import type { LeaseholdClient } from '@leasehold/client';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { clientFrom, stringFlag } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';
import { emit } from '../output.js';

/** `leasehold unlock NAME --lease ID` */
export const UNLOCK: CommandSpec = {
  name: 'unlock',
  usage: 'NAME --lease LEASE_ID',
  summary: 'release a lock held by a lease',
  details: `Releases the lock NAME if LEASE_ID holds it. Prints released, not held or held by other; exits 1
for held by other. When another lease holds NAME and LEASE_ID does not exist (mistyped, revoked
or expired), it says "no such lease" and exits 1. To end the lease and everything on it, use:
leasehold leases revoke LEASE_ID
`,
  flags: [{ flags: '--lease <id>', description: 'the lease holding the lock' }],
  run: unlockCommand,
};

async function unlockCommand(parsed: Parsed, io: Io): Promise<number> {
  const [name, ...extra] = parsed.positionals;
  const lease = stringFlag(parsed, 'lease');
  if (!name) throw usageError('NAME: missing lock name');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  if (!lease) throw usageError('--lease: missing the id of the lease holding the lock');
  const client = clientFrom(parsed, io.env);
  try {
    const status = await client.locks.release(name, { lease }).catch((error: unknown) => {
      if (error instanceof LeaseNotFoundError) return 'no_such_lease';
      throw error;
    });
    // "held by other" would send a user with a mistyped or expired lease id looking for another
    // holder. A free lock stays "not held" whatever the lease: repeating a release is harmless.
    if (status === 'no_such_lease' || (status === 'held_by_other' && !(await leaseExists(client, lease)))) {
      if (parsed.values.json === true) emit(io, true, { name, status: 'no_such_lease' }, () => '');
      throw new CliError(`--lease ${lease}: no such lease`, EXIT.ERROR);
    }
    emit(io, parsed.values.json === true, { name, status }, () => `${name}: ${status.replace(/_/g, ' ')}`);
    return status === 'held_by_other' ? EXIT.ERROR : EXIT.OK;
  } finally {
    await client.close();
  }
}

async function leaseExists(client: LeaseholdClient, id: string): Promise<boolean> {
  try {
    await client.leases.get(id);
    return true;
  } catch (error) {
    if (error instanceof LeaseNotFoundError) return false;
    throw error;
  }
}
