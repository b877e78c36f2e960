import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../../packages/server/test/support/server-process.js';
import { HistoryRecorder } from '../history/history-recorder.js';
import type { Fault, StartBackend, TortureBackend } from './backend.js';
import type { PoolPrimitive } from './client-api.js';
import type { ClientConfig } from './client-main.js';
import { finish } from './finish.js';
import type { TortureResult } from './finish.js';
import { Nemesis, clientStopFault, heldFault, serverKillFault } from './nemesis.js';
import { startBackend as startNemesisBackend } from '../nemesis/backends.js';
import { Prng } from './prng.js';
import { ServerGroup } from './servers.js';
import { storePools } from './store-pools.js';
import type { ServerComponent } from './servers.js';

const CLIENT_MAIN = fileURLToPath(new URL('./client-main.ts', import.meta.url));

/** The stores a run can use. */
export const STORES = ['memory', 'sqlite', 'redis', 'redlock', 'etcd'] as const;

/** One run's settings, as `npm run torture` takes them. */
export interface TortureOptions {
  readonly store: (typeof STORES)[number];
  /** etcd: three members instead of one. */
  readonly cluster: boolean;
  /** Leasehold servers sharing the store (2 only on redis, redlock, etcd). */
  readonly servers: 1 | 2;
  readonly seconds: number;
  readonly seed: number;
  /** Where the histories, the merged history and summary.json go; a temp dir when absent. */
  readonly out?: string;
  readonly clients: number;
  /** The backend starter: the nemesis's (behind proxies, with faults) unless another is given. */
  readonly startBackend?: StartBackend;
}

/** How long clients get past the deadline to finish their last op before they are killed. */
const GRACE_MS = 30_000;

/** Runs one torture run end to end: set-up, clients and faults, then the merged history's verdict. */
export async function runTorture(options: TortureOptions): Promise<TortureResult> {
  if (options.servers === 2 && (options.store === 'memory' || options.store === 'sqlite'))
    throw new Error(`--servers 2 needs a shared backend (redis, redlock, etcd), not ${options.store}`);
  const out = options.out ?? mkdtempSync(join(tmpdir(), `torture-${options.store}-`));
  // Recorders append: a second run into one folder would merge two services' histories into one verdict.
  if (existsSync(out) && readdirSync(out).length > 0)
    throw new Error(`--out ${out} is not empty: give each run a new folder (or none, for a temp one)`);
  mkdirSync(out, { recursive: true });
  const rng = new Prng(options.seed);
  const backend =
    options.store === 'memory' || options.store === 'sqlite'
      ? undefined
      : await (options.startBackend ?? startNemesisBackend)(options.store, {
          dir: out,
          cluster: options.cluster,
          seed: options.seed,
        });
  let servers: ServerGroup | undefined;
  const clients = new Map<string, ChildProcess>();
  try {
    servers = await ServerGroup.start(componentOf(options.store, backend), options.servers);
    const pools = await storePools(servers.urls[0]!);
    for (const line of pools.skipped) console.log(`torture ${options.store}: ${line}`);
    const startedMs = Date.now();
    const deadlineMs = startedMs + options.seconds * 1_000;
    const files: string[] = [];
    for (const config of clientConfigs(options, servers.urls, deadlineMs, out, pools.pools)) {
      files.push(config.historyPath);
      clients.set(config.process, forkClient(config));
    }
    const nemesisFile = join(out, 'nemesis.jsonl');
    const recorder = HistoryRecorder.toFile(nemesisFile);
    const faults = faultsOf(options, clients, servers, backend, rng);
    const nemesis = new Nemesis(faults, recorder, rng);
    await nemesis.run(deadlineMs - 2_000);
    recorder.close();
    const stragglers = await waitForExit([...clients.values()], deadlineMs + GRACE_MS);
    return finish({
      options,
      out,
      files: [...files, nemesisFile],
      injected: nemesis.injected,
      scheduled: faults.map((fault) => fault.kind),
      stragglers,
      elapsedMs: Date.now() - startedMs,
      pools,
    });
  } finally {
    for (const child of clients.values())
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await servers?.stop();
    await backend?.stop();
  }
}

function componentOf(store: TortureOptions['store'], backend: TortureBackend | undefined): ServerComponent {
  if (backend) return backend.component();
  return { type: store === 'memory' ? 'lock.memory' : 'lock.sqlite', metadata: {} };
}

/** Clients alternate raw HTTP and the SDK's stream; the last process is the watch reader. */
function clientConfigs(
  options: TortureOptions,
  urls: string[],
  deadlineMs: number,
  out: string,
  pools: readonly PoolPrimitive[],
): ClientConfig[] {
  const configs: ClientConfig[] = [];
  for (let i = 0; i <= options.clients; i++) {
    const watch = i === options.clients;
    const process = watch ? 'w0' : `c${i}`;
    configs.push({
      process,
      role: watch ? 'watch' : i % 2 === 0 ? 'http' : 'sdk',
      // Each client starts on its own server, so both servers carry traffic. A Redlock watch sees only its
      // own server's changes, numbered its own way: the watch reader stays on one server there.
      urls:
        watch && options.store === 'redlock'
          ? urls.slice(0, 1)
          : [...urls.slice(i % urls.length), ...urls.slice(0, i % urls.length)],
      seed: (options.seed * 1_009 + i * 7_919) >>> 0,
      deadlineMs,
      historyPath: join(out, `${process}.jsonl`),
      watchSharesRevisions: options.store !== 'redlock',
      pools,
    });
  }
  return configs;
}

function forkClient(config: ClientConfig): ChildProcess {
  return spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', CLIENT_MAIN, JSON.stringify(config)],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

/** The schedule's faults: frozen clients (the watch reader too), killed servers (not on memory, which keeps nothing), the backend's. */
function faultsOf(
  options: TortureOptions,
  clients: ReadonlyMap<string, ChildProcess>,
  servers: ServerGroup,
  backend: TortureBackend | undefined,
  rng: Prng,
): Fault[] {
  const faults = [clientStopFault(clients, rng)];
  if (options.store !== 'memory') faults.push(serverKillFault(servers, rng));
  return [...faults, ...(backend?.faults() ?? []).map((fault) => heldFault(fault, rng))];
}

/** Waits until every child has exited or `untilMs`; returns how many had to be killed. */
async function waitForExit(children: readonly ChildProcess[], untilMs: number): Promise<number> {
  const running = () => children.filter((child) => child.exitCode === null && child.signalCode === null);
  while (running().length > 0 && Date.now() < untilMs) await new Promise((r) => setTimeout(r, 100));
  const stragglers = running();
  for (const child of stragglers) child.kill('SIGKILL');
  return stragglers.length;
}
