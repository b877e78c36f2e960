import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseCommand, parseInteger, stringFlag } from '../options.js';
import type { Io } from '../output.js';
import { emit } from '../output.js';

export const KV_USAGE = `Usage: leasehold kv get KEY
       leasehold kv put KEY VALUE [--lease ID] [--if-version N] [--fence-lock NAME --fence-token N]
       leasehold kv del KEY

get prints the value (--json: value, version, revision, lease). put prints the new version; with
--fence-* it fails (FENCED, exit 1) unless token N is still the current grant of lock NAME.
`;

const OPTIONS = {
  lease: { type: 'string' },
  'if-version': { type: 'string' },
  'fence-lock': { type: 'string' },
  'fence-token': { type: 'string' },
} as const;

/** `leasehold kv get|put|del` */
export async function kvCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = parseCommand(args, OPTIONS);
  const [action, key, value, ...extra] = parsed.positionals;
  if (parsed.values.help || action === undefined) {
    io.stdout.write(KV_USAGE);
    return parsed.values.help ? EXIT.OK : EXIT.USAGE;
  }
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
