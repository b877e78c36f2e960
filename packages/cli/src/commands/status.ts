import type { LockDescription } from '@leasehold/client';
import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, stringFlag } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';
import { emit, formatMs, table } from '../output.js';
import type { PoolKind } from './status-pools.js';
import { describePool, listPools } from './status-pools.js';

const DETAILS = `Shows one lock (holder lease, owner, fencing token, time left, waiters) or every held lock whose
name starts with PREFIX (all held locks when neither is given). With --semaphore it shows semaphores
instead (permits used of the limit, holders with their permits and tokens, waiters), with --rwlock
read/write locks (the mode held, holders with their modes and tokens, waiters).
`;

function describeOne(lock: LockDescription): string {
  if (!lock.held) return `${lock.name}: free${lock.waiters ? `, ${lock.waiters} waiting` : ''}`;
  const owner = lock.owner ? ` (owner ${lock.owner})` : '';
  return [
    `${lock.name}: held by lease ${lock.leaseId}${owner}`,
    `  fencing token  ${lock.fencingToken}`,
    `  time left      ${formatMs(lock.expiresInMs)}`,
    `  acquired at    ${lock.acquiredAt === undefined ? '-' : new Date(lock.acquiredAt).toISOString()}`,
    `  waiters        ${lock.waiters}`,
  ].join('\n');
}

/** `leasehold status [NAME | --prefix P]` */
export const STATUS: CommandSpec = {
  name: 'status',
  usage: '[NAME | --prefix PREFIX] [--semaphore | --rwlock]',
  summary: 'show a lock, or the held locks (or semaphores, or read/write locks)',
  details: DETAILS,
  flags: [
    { flags: '--prefix <prefix>', description: 'held locks whose names start with PREFIX' },
    { flags: '--semaphore', description: 'show semaphores instead of locks' },
    { flags: '--rwlock', description: 'show read/write locks instead of locks' },
  ],
  run: statusCommand,
};

async function statusCommand(parsed: Parsed, io: Io): Promise<number> {
  const [name, ...extra] = parsed.positionals;
  const prefix = stringFlag(parsed, 'prefix');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  if (name !== undefined && prefix !== undefined) throw usageError('give either NAME or --prefix, not both');
  const json = parsed.values.json === true;
  const pool = poolKindOf(parsed);
  const client = clientFrom(parsed, io.env);
  try {
    if (pool !== undefined) {
      const shown =
        name === undefined
          ? await listPools(client, pool, prefix ?? '')
          : await describePool(client, pool, name);
      emit(io, json, shown.data, shown.human);
      return EXIT.OK;
    }
    if (name !== undefined) {
      const lock = await client.locks.describe(name);
      emit(io, json, lock, () => describeOne(lock));
      return EXIT.OK;
    }
    const locks = await client.locks.list({ prefix: prefix ?? '' });
    emit(io, json, locks, () =>
      locks.length === 0
        ? 'no held locks'
        : table([
            ['NAME', 'LEASE', 'OWNER', 'TOKEN', 'LEFT', 'WAITERS'],
            ...locks.map((l) => [
              l.name,
              l.leaseId ?? '-',
              l.owner ?? '-',
              String(l.fencingToken ?? '-'),
              formatMs(l.expiresInMs),
              String(l.waiters),
            ]),
          ]),
    );
    return EXIT.OK;
  } finally {
    await client.close();
  }
}

/** `--semaphore` or `--rwlock`, not both; neither is a plain lock. */
function poolKindOf(parsed: Parsed): PoolKind | undefined {
  const semaphore = parsed.values.semaphore === true;
  const rwlock = parsed.values.rwlock === true;
  if (semaphore && rwlock) throw usageError('--semaphore and --rwlock: give one, not both');
  return semaphore ? 'semaphore' : rwlock ? 'rwlock' : undefined;
}
