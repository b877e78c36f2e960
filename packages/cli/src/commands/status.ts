import type { LockDescription } from '@leasehold/client';
import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, stringFlag } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';
import { emit, formatMs, table } from '../output.js';

const DETAILS = `Shows one lock (holder lease, owner, fencing token, time left, waiters) or every held lock whose
name starts with PREFIX (all held locks when neither is given).
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
  usage: '[NAME | --prefix PREFIX]',
  summary: 'show a lock, or the held locks',
  details: DETAILS,
  flags: [{ flags: '--prefix <prefix>', description: 'held locks whose names start with PREFIX' }],
  run: statusCommand,
};

async function statusCommand(parsed: Parsed, io: Io): Promise<number> {
  const [name, ...extra] = parsed.positionals;
  const prefix = stringFlag(parsed, 'prefix');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  if (name !== undefined && prefix !== undefined) throw usageError('give either NAME or --prefix, not both');
  const json = parsed.values.json === true;
  const client = clientFrom(parsed, io.env);
  try {
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
