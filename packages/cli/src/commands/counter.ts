import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom, parseInteger } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';
import { emit } from '../output.js';

/** `leasehold counter get|add|set` */
export const COUNTER: CommandSpec = {
  name: 'counter',
  aliases: ['counters'],
  usage: 'get NAME | add NAME [DELTA] | set NAME VALUE',
  summary: 'atomic counters',
  details: "Prints the counter's value after the operation. DELTA defaults to 1.\n",
  run: counterCommand,
};

async function counterCommand(parsed: Parsed, io: Io): Promise<number> {
  const [action, name, number, ...extra] = parsed.positionals;
  if (action === undefined) throw usageError('missing action: get, add or set');
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
