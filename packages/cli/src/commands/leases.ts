import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseDuration, stringFlag } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';
import { emit, formatMs, table } from '../output.js';

const DETAILS = `list shows the app's leases (needs a server with GET /v1/{store}/leases). get shows one lease
with its locks and keys and the time left. revoke ends a lease and releases everything on it.
grant prints a new lease id; nothing keeps it alive after the command exits.
`;

/** `leasehold leases list|get|revoke|keepalive|grant` */
export const LEASES: CommandSpec = {
  name: 'leases',
  usage: 'list | get ID | revoke ID | keepalive ID | grant --ttl 30s [--owner TEXT]',
  summary: 'inspect and end leases',
  details: DETAILS,
  flags: [
    { flags: '--ttl <duration>', description: 'grant: lease TTL (30s)' },
    { flags: '--owner <text>', description: 'grant: owner recorded on the lease' },
  ],
  run: leasesCommand,
};

async function leasesCommand(parsed: Parsed, io: Io): Promise<number> {
  const [action, id, ...extra] = parsed.positionals;
  if (action === undefined) throw usageError('missing action: list, get, revoke, keepalive or grant');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  const needId = () => {
    if (!id) throw usageError(`ID: missing lease id (leasehold leases ${action} ID)`);
    return id;
  };
  const json = parsed.values.json === true;
  const client = clientFrom(parsed, io.env);
  try {
    switch (action) {
      case 'list': {
        const leases = await client.leases.list();
        emit(io, json, leases, () =>
          table([
            ['ID', 'APP', 'OWNER', 'TTL', 'LEFT', 'LOCKS'],
            ...leases.map((l) => [
              l.id,
              l.app ?? '-',
              l.owner ?? '-',
              formatMs(l.ttlMs),
              formatMs(l.remainingMs),
              l.locks.join(','),
            ]),
          ]),
        );
        return EXIT.OK;
      }
      case 'get': {
        const lease = await client.leases.get(needId());
        emit(io, json, lease, () =>
          [
            `lease ${lease.id}${lease.owner ? ` (owner ${lease.owner})` : ''}`,
            `  ttl        ${formatMs(lease.ttlMs)}`,
            `  time left  ${formatMs(lease.remainingMs)}`,
            `  locks      ${lease.locks.join(', ') || '-'}`,
            `  keys       ${lease.keys.join(', ') || '-'}`,
          ].join('\n'),
        );
        return EXIT.OK;
      }
      case 'revoke': {
        const reply = await client.leases.revoke(needId());
        emit(io, json, { id, ...reply }, () => `lease ${id}: ${reply.revoked ? 'revoked' : 'already gone'}`);
        return EXIT.OK;
      }
      case 'keepalive': {
        const reply = await client.leases.keepAlive(needId());
        emit(io, json, reply, () => `lease ${reply.id}: renewed for ${formatMs(reply.ttlMs)}`);
        return EXIT.OK;
      }
      case 'grant': {
        const ttlMs = parseDuration('ttl', stringFlag(parsed, 'ttl') ?? '30s');
        const owner = stringFlag(parsed, 'owner');
        const lease = await client.leases.grant({ ttlMs, ...(owner === undefined ? {} : { owner }) });
        await client.close();
        emit(io, json, { id: lease.id, ttlMs: lease.ttlMs }, () => lease.id);
        return EXIT.OK;
      }
      default:
        throw usageError(`unknown action "${action}": expected list, get, revoke, keepalive or grant`);
    }
  } finally {
    await client.close();
  }
}
