import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseInteger, stringFlag } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';
import { emit, table } from '../output.js';

const DETAILS = `get prints the value (--json: value, version, revision, lease). put prints the new version; with
--fence-* it fails (FENCED, exit 1) unless token N is still the current grant of lock NAME.
list shows the keys whose name starts with PREFIX (all keys when omitted) in name order, at most
N (default 100, at most 1000); when more follow it says so, and --after KEY continues from there
(--json: {entries, more, next}).
`;

/** `leasehold kv get|put|del|list` */
export const KV: CommandSpec = {
  name: 'kv',
  usage:
    'get KEY | put KEY VALUE [--lease ID] [--if-version N] [--fence-lock NAME --fence-token N] | del KEY | list [PREFIX] [--limit N] [--after KEY]',
  summary: 'read, write and list keys',
  details: DETAILS,
  flags: [
    { flags: '--lease <id>', description: 'put: delete the key when this lease ends' },
    { flags: '--if-version <n>', description: 'put: only if the key is at version N (0: absent)' },
    {
      flags: '--fence-lock <name>',
      description: 'put: only while --fence-token is the current grant of this lock',
    },
    { flags: '--fence-token <n>', description: 'put: the fencing token to check' },
    { flags: '--limit <n>', description: 'list: at most N keys (default 100, at most 1000)' },
    { flags: '--after <key>', description: 'list: continue after this key' },
  ],
  run: kvCommand,
};

async function kvCommand(parsed: Parsed, io: Io): Promise<number> {
  const [action, key, value, ...extra] = parsed.positionals;
  if (action === undefined) throw usageError('missing action: get, put, del or list');
  if (action === 'list' || action === 'ls') return listCommand(parsed, io);
  if (!key) throw usageError(`KEY: missing (leasehold kv ${action} KEY)`);
  if (extra.length > 0 || (action !== 'put' && value !== undefined)) {
    throw usageError(`unexpected argument "${extra[0] ?? value}"`);
  }
  const json = parsed.values.json === true;
  const client = clientFrom(parsed, io.env);
  try {
    switch (action) {
      case 'get': {
        const entry = await client.kv.get(key);
        emit(io, json, entry, () => entry.value);
        return EXIT.OK;
      }
      case 'put': {
        if (value === undefined) throw usageError('VALUE: missing (leasehold kv put KEY VALUE)');
        const fenceLock = stringFlag(parsed, 'fence-lock');
        const fenceToken = stringFlag(parsed, 'fence-token');
        if ((fenceLock === undefined) !== (fenceToken === undefined)) {
          throw usageError('--fence-lock and --fence-token go together');
        }
        const ifVersion = stringFlag(parsed, 'if-version');
        const lease = stringFlag(parsed, 'lease');
        const reply = await client.kv.put(key, value, {
          ...(lease === undefined ? {} : { lease }),
          ...(ifVersion === undefined ? {} : { ifVersion: parseInteger('--if-version', ifVersion) }),
          ...(fenceLock === undefined
            ? {}
            : { fence: { lock: fenceLock, token: parseInteger('--fence-token', fenceToken) } }),
        });
        emit(io, json, reply, () => `${key}: version ${reply.version}`);
        return EXIT.OK;
      }
      case 'del':
      case 'delete': {
        const reply = await client.kv.delete(key);
        emit(io, json, { key, ...reply }, () => `${key}: deleted`);
        return EXIT.OK;
      }
      default:
        throw usageError(`unknown action "${action}": expected get, put, del or list`);
    }
  } finally {
    await client.close();
  }
}

/** `leasehold kv list [PREFIX] [--limit N] [--after KEY]`: one page, as a table or JSON. */
async function listCommand(parsed: Parsed, io: Io): Promise<number> {
  const [, prefix = '', ...extra] = parsed.positionals;
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  const limit = stringFlag(parsed, 'limit');
  const after = stringFlag(parsed, 'after');
  const options = {
    ...(limit === undefined ? {} : { limit: parseInteger('--limit', limit) }),
    ...(after === undefined ? {} : { after }),
  };
  const client = clientFrom(parsed, io.env);
  try {
    const page = await client.kv.list(prefix, options);
    emit(io, parsed.values.json === true, page, () => {
      if (page.entries.length === 0) return 'no keys';
      const rows = page.entries.map((e) => [e.key, String(e.version), e.leaseId ?? '-', oneLine(e.value)]);
      const shown = table([['KEY', 'VERSION', 'LEASE', 'VALUE'], ...rows]);
      return page.more ? `${shown}\n(more: continue with --after ${page.next})` : shown;
    });
    return EXIT.OK;
  } finally {
    await client.close();
  }
}

/** A value as one table cell: first line, at most 60 characters. */
function oneLine(value: string): string {
  const line = value.split('\n', 1)[0] ?? '';
  return line.length > 60 || line !== value ? `${line.slice(0, 59)}…` : line;
}
