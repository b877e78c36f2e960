import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseCommand, parseInteger } from '../options.js';
import type { Io } from '../output.js';
import { emit } from '../output.js';

export const COUNTER_USAGE = `Usage: leasehold counter get NAME
       leasehold counter add NAME [DELTA]    (DELTA defaults to 1)
       leasehold counter set NAME VALUE

Prints the counter's value after the operation.
`;

/** `leasehold counter get|add|set` */
export async function counterCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = parseCommand(args);
  const [action, name, number, ...extra] = parsed.positionals;
  if (parsed.values.help || action === undefined) {
    io.stdout.write(COUNTER_USAGE);
    return parsed.values.help ? EXIT.OK : EXIT.USAGE;
  }
  if (!name) throw usageError(`NAME: missing (leasehold counter ${action} NAME)`);
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  const client = clientFrom(parsed, io.env);
  try {
    let value: number;
    if (action === 'get') value = await client.counters.get(name);
    else if (action === 'add')
      value = await client.counters.add(name, number === undefined ? 1 : parseInteger('DELTA', number));
    else if (action === 'set') value = await client.counters.set(name, parseInteger('VALUE', number));
    else throw usageError(`unknown action "${action}": expected get, add or set`);
    emit(io, parsed.values.json === true, { name, value }, () => String(value));
    return EXIT.OK;
  } finally {
    await client.close();
  }
}
