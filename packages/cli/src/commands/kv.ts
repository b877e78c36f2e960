import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseInteger, stringFlag } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';
import { emit } from '../output.js';

const DETAILS = `get prints the value (--json: value, version, revision, lease). put prints the new version; with
--fence-* it fails (FENCED, exit 1) unless token N is still the current grant of lock NAME.
`;

/** `leasehold kv get|put|del` */
export const KV: CommandSpec = {
  name: 'kv',
  usage:
    'get KEY | put KEY VALUE [--lease ID] [--if-version N] [--fence-lock NAME --fence-token N] | del KEY',
  summary: 'read and write keys',
  details: DETAILS,
  flags: [
    { flags: '--lease <id>', description: 'put: delete the key when this lease ends' },
    { flags: '--if-version <n>', description: 'put: only if the key is at version N (0: absent)' },
    {
      flags: '--fence-lock <name>',
      description: 'put: only while --fence-token is the current grant of this lock',
    },
    { flags: '--fence-token <n>', description: 'put: the fencing token to check' },
  ],
  run: kvCommand,
};

async function kvCommand(parsed: Parsed, io: Io): Promise<number> {
  const [action, key, value, ...extra] = parsed.positionals;
  if (action === undefined) throw usageError('missing action: get, put or del');
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
        throw usageError(`unknown action "${action}": expected get, put or del`);
    }
  } finally {
    await client.close();
  }
}
