/**
 * The SDK in one file. With LEASEHOLD_URL set it talks to that server over the client stream
 * (LEASEHOLD_TRANSPORT=http for plain HTTP);
 * without, it runs in-process over core (no server needed).
 *   node --conditions=source --import tsx examples/sdk-quickstart.ts
 */
import { LeaseholdClient, LockNotAcquiredError } from '@leasehold/client';

const url = process.env.LEASEHOLD_URL;
const transport = process.env.LEASEHOLD_TRANSPORT === 'http' ? 'http' : 'stream';
const client = url
  ? new LeaseholdClient({ url, store: 'lockstore', transport })
  : LeaseholdClient.inProcess();

// A lease keeps itself alive in the background until revoked (or lost).
const lease = await client.leases.grant({ ttlMs: 10_000, owner: 'quickstart' });
lease.onLost((error) => console.error('lost:', error.message));

{
  // `await using` releases the lock at the end of the block.
  await using lock = await client.locks.acquire('lock:order:1001', { lease, waitMs: 5_000 });
  if (lock.acquired) {
    // A fenced write succeeds only while this grant is the lock's current one.
    await client.kv.put('order:1001', 'processing', { fence: lock });
    console.log(`holding lock:order:1001 with fencing token ${lock.fencingToken}`);
  }
}
console.log(
  'after the block the lock is',
  (await client.locks.describe('lock:order:1001')).held ? 'held' : 'free',
);
await lease.revoke();

// withLock: grant, wait, run, then release and revoke whatever happens.
const total = await client.withLock(
  'lock:job:1',
  { ttlMs: 10_000, waitMs: 1_000 },
  async ({ signal, fencingToken }) => {
    signal.throwIfAborted(); // aborted with LeaseLostError if the lock can no longer be proven held
    console.log(`job 1 runs under token ${fencingToken}`);
    return client.counters.add('jobs:done');
  },
);
console.log(`jobs done: ${total}`);

// A lock held elsewhere: tryAcquire answers with a value, withLock throws a typed error.
const other = await client.leases.grant({ ttlMs: 5_000 });
await client.locks.acquire('lock:busy', { lease: other });
try {
  await client.withLock('lock:busy', { ttlMs: 5_000 }, () => 'never');
} catch (error) {
  if (!(error instanceof LockNotAcquiredError)) throw error;
  console.log(`lock:busy: ${error.message}`);
}
await other.revoke();
await client.close();
