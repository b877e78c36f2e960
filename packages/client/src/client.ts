import { EventEmitter } from 'node:events';
import { badArgument } from './errors.js';
import { HttpTransport } from './http-transport.js';
import { InProcessTransport } from './in-process-transport.js';
import { hasTlsOptions } from './tls-options.js';
import type { InProcessOptions } from './in-process-transport.js';
import { CountersApi, KvApi } from './kv-api.js';
import type { LeaseTiming } from './lease.js';
import { LeasesApi } from './leases-api.js';
import { LocksApi } from './locks-api.js';
import { RwLocksApi } from './rwlocks-api.js';
import { SemaphoresApi } from './semaphores-api.js';
import { withPermit } from './with-permit.js';
import type { PermitContext, WithPermitOptions } from './with-permit.js';
import { withRwLock } from './with-rwlock.js';
import type { RwLockContext, WithRwLockOptions } from './with-rwlock.js';
import { watchWithResync } from './resync-watch.js';
import type { KvEntry } from './kv-api.js';
import { StreamTransport } from './stream-transport.js';
import type { Transport, WatchEvent } from './transport.js';
import { withLock } from './with-lock.js';
import type { LockContext, WithLockOptions } from './with-lock.js';

/** Settings of a client. */
export interface LeaseholdClientOptions {
  /** Server URL; default `http://127.0.0.1:3500`. */
  readonly url?: string;
  /** Lock store; default `lockstore`. */
  readonly store?: string;
  /** API token, sent as `dapr-api-token`. */
  readonly token?: string | undefined;
  /** With an admin token: work in this app's key space (sent as `leasehold-app`). */
  readonly actAs?: string | undefined;
  /** `stream` (default): one multiplexed WebSocket; `http`: one request per call. */
  readonly transport?: 'stream' | 'http';
  /** How leases judge their own validity. */
  readonly timing?: LeaseTiming;
  /** Stream heartbeat ceiling in ms (it also runs at a third of the shortest lease TTL). */
  readonly heartbeatMs?: number;
  /** The fetch used by the HTTP transport. */
  readonly fetch?: typeof fetch;
  /** For `https://`: the CA that signed the server's certificate (PEM); default the system roots. */
  readonly ca?: string | Buffer;
  /** For mutual TLS: the client certificate (PEM) the server's `--tls-ca` signed. */
  readonly cert?: string | Buffer;
  /** For mutual TLS: the private key of `cert` (PEM). */
  readonly key?: string | Buffer;
}

/**
 * The Leasehold SDK. Events: `disconnect` and `reconnect` (stream), `reentered` ({op, id}) when a
 * waiting acquire is sent again after a reconnect.
 */
export class LeaseholdClient extends EventEmitter {
  readonly store: string;
  readonly leases: LeasesApi;
  readonly locks: LocksApi;
  readonly kv: KvApi;
  readonly counters: CountersApi;
  /** Counting semaphores (memory and sqlite stores for now). */
  readonly semaphores: SemaphoresApi;
  /** Read/write locks, task-fair (memory and sqlite stores for now). */
  readonly rwlocks: RwLocksApi;
  /** @internal */
  readonly transport: Transport;

  constructor(options: LeaseholdClientOptions = {}, transport?: Transport) {
    super();
    const store = options.store ?? 'lockstore';
    if (typeof store !== 'string' || store === '') throw badArgument('store', 'must be a non-empty string');
    this.store = store;
    this.transport = transport ?? makeTransport(options, store, this);
    this.leases = new LeasesApi(this.transport, options.timing ?? {});
    this.locks = new LocksApi(this.transport);
    this.semaphores = new SemaphoresApi(this.transport);
    this.rwlocks = new RwLocksApi(this.transport);
    this.kv = new KvApi(this.transport);
    this.counters = new CountersApi(this.transport);
  }

  /** The same API over core's LeaseholdService in this process, with no server. */
  static inProcess(options: InProcessOptions & { timing?: LeaseTiming } = {}): LeaseholdClient {
    const transport = new InProcessTransport(options);
    return new LeaseholdClient(
      { store: transport.store, ...(options.timing ? { timing: options.timing } : {}) },
      transport,
    );
  }

  /** Which transport this client uses. */
  get transportKind(): Transport['kind'] {
    return this.transport.kind;
  }

  /** This client's store as the server has it configured: its type and what it can do. */
  describeStore(): Promise<{ name: string; type: string; capabilities: string[] }> {
    return this.transport.call('stores.get', {});
  }

  /**
   * Calls `onEvent` for every change under `prefix` until the returned function is called. A
   * resume the server cannot serve whole ends with `WatchCompactedError` (to `onError`); with
   * `resync`, the watch then lists the prefix, hands over the entries, and goes on from there.
   */
  watch(
    prefix: string,
    onEvent: (event: WatchEvent) => void,
    options: {
      afterRevision?: number;
      onError?: (error: Error) => void;
      resync?: (entries: KvEntry[]) => void;
    } = {},
  ): () => void {
    if (typeof prefix !== 'string') throw badArgument('prefix', 'must be a string');
    const { afterRevision, onError, resync } = options;
    if (resync) {
      const settings = { resync, ...(onError ? { onError } : {}) };
      return watchWithResync(this.transport, this.kv, prefix, onEvent, {
        ...settings,
        ...(afterRevision === undefined ? {} : { afterRevision }),
      });
    }
    return this.transport.watch(prefix, { onEvent, ...(onError ? { onError } : {}) }, afterRevision);
  }

  /** Runs `fn` while holding the lock `name` on a fresh lease; always releases and revokes. */
  withLock<T>(
    name: string,
    options: WithLockOptions,
    fn: (context: LockContext) => Promise<T> | T,
  ): Promise<T> {
    return withLock(this.leases, this.locks, name, options, fn);
  }

  /** Runs `fn` while holding permits of semaphore `name` on a fresh lease; always releases and revokes. */
  withPermit<T>(
    name: string,
    options: WithPermitOptions,
    fn: (context: PermitContext) => Promise<T> | T,
  ): Promise<T> {
    return withPermit(this.leases, this.semaphores, name, options, fn);
  }

  /** Runs `fn` while holding read/write lock `name` in `mode` on a fresh lease; always releases and revokes. */
  withRwLock<T>(
    name: string,
    options: WithRwLockOptions,
    fn: (context: RwLockContext) => Promise<T> | T,
  ): Promise<T> {
    return withRwLock(this.leases, this.rwlocks, name, options, fn);
  }

  /** Stops every timer and the connection; leases still live are reported lost. */
  async close(): Promise<void> {
    for (const lease of this.leases.live) lease.markLost('the client was closed');
    this.leases.live.clear();
    await this.transport.close();
  }
}

function makeTransport(options: LeaseholdClientOptions, store: string, events: EventEmitter): Transport {
  const url = options.url ?? 'http://127.0.0.1:3500';
  if (!/^https?:\/\//.test(url)) throw badArgument('url', `must start with http:// or https://, got ${url}`);
  const kind = options.transport ?? 'stream';
  const tls = { ca: options.ca, cert: options.cert, key: options.key };
  if (hasTlsOptions(tls) && !url.startsWith('https://'))
    throw badArgument('ca', `a CA or client certificate needs an https:// url, got ${url}`);
  const common = { url, store, token: options.token, actAs: options.actAs, tls };
  if (kind === 'http')
    return new HttpTransport({ ...common, ...(options.fetch ? { fetch: options.fetch } : {}) });
  if (kind !== 'stream') throw badArgument('transport', `must be "stream" or "http", got ${String(kind)}`);
  return new StreamTransport({
    ...common,
    events,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
  });
}
