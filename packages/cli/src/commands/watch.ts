import { EXIT, usageError } from '../exit-codes.js';
import { clientFrom } from '../options.js';
import type { CommandSpec, Parsed } from '../options.js';
import type { Io } from '../output.js';

const DETAILS = `Prints every change under PREFIX (lock acquired/released, key put/delete, lease expired) as it
happens, one per line, until interrupted (Ctrl-C exits 0).
`;

/** `leasehold watch PREFIX` */
export const WATCH: CommandSpec = {
  name: 'watch',
  usage: 'PREFIX [--transport stream|http]',
  summary: 'print changes under PREFIX',
  details: DETAILS,
  run: watchCommand,
};

async function watchCommand(parsed: Parsed, io: Io): Promise<number> {
  const [prefix = '', ...extra] = parsed.positionals;
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0]}"`);
  const json = parsed.values.json === true;
  const client = clientFrom(parsed, io.env);
  const done = new Promise<number>((resolve) => {
    const stop = client.watch(
      prefix,
      (event) => {
        if (json) io.stdout.write(`${JSON.stringify(event)}\n`);
        else {
          const token = event.fencingToken === undefined ? '' : ` token ${event.fencingToken}`;
          const value = event.value === undefined ? '' : ` = ${event.value}`;
          io.stdout.write(`#${event.revision} ${event.type} ${event.key}${value}${token}\n`);
        }
      },
      { onError: (error) => io.stderr.write(`leasehold: watch: ${error.message} (retrying)\n`) },
    );
    const finish = () => {
      stop();
      resolve(EXIT.OK);
    };
    process.once('SIGINT', finish).once('SIGTERM', finish);
  });
  try {
    return await done;
  } finally {
    await client.close();
  }
}
