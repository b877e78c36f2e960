import type { Caller, LeaseholdService, runOp } from '@leasehold/core';
import { ClientClosedError, LeaseholdClientError, errorFromCode, watchErrorOf } from './errors.js';
import { TimerRenewer } from './timer-renewer.js';
import { NO_OPTIONS } from './transport.js';
import type { CallOptions, Op, Transport, WatchHandlers } from './transport.js';

/** Settings of the in-process mode. */
export interface InProcessOptions {
  /** Store name; default `lockstore`. */
  readonly store?: string;
  /** App id the calls run as; default `app`. */
  readonly appId?: string;
  /** A service to share with other in-process clients; by default a fresh in-memory one. */
  readonly service?: LeaseholdService;
  /** Lowest lease TTL accepted (the server's default is 1000 ms). */
  readonly minTtlMs?: number;
}

/** The service behind an in-process client, and core's op dispatch (loaded with it, on first use). */
interface Loaded {
  readonly service: LeaseholdService;
  readonly owned: boolean;
  readonly run: typeof runOp;
}

/** Calls core's LeaseholdService in this process: the same API with no server. */
export class InProcessTransport implements Transport {
  readonly kind = 'inProcess' as const;
  readonly renewer = new TimerRenewer((leaseId) =>
    this.call<{ ttlMs: number }>('leases.keepAlive', { leaseId }),
  );
  readonly store: string;
  private readonly caller: Caller;
  private servicePromise: Promise<Loaded> | undefined;
  private closed = false;

  constructor(private readonly options: InProcessOptions = {}) {
    this.store = options.store ?? 'lockstore';
    // In process there are no tokens: like a token-less server, the caller is admin.
    this.caller = { appId: options.appId ?? 'app', role: 'admin' };
  }

  /** The service behind this client, created on first use; share it with `inProcess({service})`. */
  service(): Promise<LeaseholdService> {
    return this.load().then((loaded) => loaded.service);
  }

  private load(): Promise<Loaded> {
    this.servicePromise ??= (async () => {
      const core = await import('@leasehold/core');
      if (this.options.service) return { service: this.options.service, owned: false, run: core.runOp };
      const binding = {
        name: this.store,
        type: 'lock.memory',
        keyPrefix: 'appid',
        store: new core.LocalStore(),
      };
      const limits = this.options.minTtlMs === undefined ? {} : { minTtlMs: this.options.minTtlMs };
      return { service: new core.LeaseholdService([binding], { limits }), owned: true, run: core.runOp };
    })();
    return this.servicePromise;
  }

  async call<T>(op: Op, args: Record<string, unknown>, options: CallOptions = NO_OPTIONS): Promise<T> {
    if (this.closed) throw new ClientClosedError();
    const { service, run } = await this.load();
    const { signal } = options;
    const leaseSignal = options.lease?.signal;
    // Core takes one signal: compose only when a caller's signal joins the lease's.
    const either = leaseSignal && signal ? AbortSignal.any([leaseSignal, signal]) : (leaseSignal ?? signal);
    try {
      return (await run(service, this.caller, this.store, op, args, either)) as T;
    } catch (error) {
      throw toClientError(error);
    }
  }

  watch(prefix: string, handlers: WatchHandlers, afterRevision?: number): () => void {
    let stop: (() => void) | undefined;
    let stopped = false;
    this.load().then(
      ({ service }) => {
        if (stopped) return;
        stop = service.watch.subscribe(
          this.caller,
          this.store,
          prefix,
          afterRevision,
          (event) => handlers.onEvent(event),
          { onError: (error) => handlers.onError?.(toWatchError(error)) },
        );
      },
      (error: unknown) => handlers.onError?.(toClientError(error) as Error),
    );
    return () => {
      stopped = true;
      stop?.();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const loaded = await this.servicePromise;
    if (loaded?.owned) await Promise.all(loaded.service.bindings().map((b) => b.store.close()));
  }
}

/** Core's typed errors become the SDK's, keeping the code. */
/** A core error that ended a watch, as the SDK raises it over the wire. */
function toWatchError(error: { code: string; message: string; oldestRevision?: number }): Error {
  return watchErrorOf({
    errorCode: error.code,
    message: error.message,
    oldestRevision: error.oldestRevision,
  });
}

function toClientError(error: unknown): unknown {
  if (error instanceof LeaseholdClientError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string') return errorFromCode(code, error.message);
  return error;
}
