/**
 * `npm run torture -- --store memory|sqlite|redis|redlock|etcd [--cluster] [--servers 1|2] --seconds N
 * --seed S [--out DIR] [--clients K]`: one torture run; prints the verdict and exits 1 on a violation.
 */
import { parseArgs } from 'node:util';
import { renderRun } from './runner/finish.js';
import { STORES, runTorture } from './runner/run-torture.js';
import type { TortureOptions } from './runner/run-torture.js';

const USAGE =
  'usage: npm run torture -- --store memory|sqlite|redis|redlock|etcd [--cluster] [--servers 1|2] ' +
  '--seconds N --seed S [--out DIR] [--clients K]';

const HELP = `${USAGE}
  --store      the store under test; semaphores and read/write locks are taken where it has them
  --cluster    etcd: three members instead of one
  --servers    Leasehold servers sharing the store (2 only on redis, redlock, etcd)
  --seconds    run length (default 60); --seed the schedule's and clients' seed (default: from the clock)
  --out        a new or empty folder for the histories (default: a temp folder); --clients (default 4)`;

function options(argv: string[]): TortureOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      store: { type: 'string' },
      cluster: { type: 'boolean', default: false },
      servers: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      out: { type: 'string' },
      clients: { type: 'string', default: '4' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const store = STORES.find((name) => name === values.store);
  const servers = Number(values.servers);
  const [seconds, seed, clients] = [Number(values.seconds), Number(values.seed), Number(values.clients)];
  if (
    !store ||
    (servers !== 1 && servers !== 2) ||
    !(seconds > 0) ||
    !Number.isInteger(seed) ||
    !(clients >= 1)
  )
    throw new Error(USAGE);
  return {
    store,
    cluster: values.cluster,
    servers,
    seconds,
    seed,
    clients,
    ...(values.out ? { out: values.out } : {}),
  };
}

async function main(): Promise<number> {
  const result = await runTorture(options(process.argv.slice(2)));
  console.log(renderRun(result));
  return result.summary.valid ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
