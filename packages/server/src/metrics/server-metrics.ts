import type { AcquireOutcome, ServiceObserver, Transport } from '@leasehold/core';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Latency buckets for requests and store operations, in seconds. */
const FAST = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];
/** Buckets for waits and holds, in seconds: up to the 10-minute waitMs cap and beyond. */
const SLOW = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 3600];

type Observe = { observe(value: number): void };
type Inc = { inc(): void };

/**
 * Every series the service, the transports and the stores feed, in one registry per server (so
 * nothing is registered at import time). Label values are transports, op names, store names and
 * outcome codes, all from small fixed sets: never lock names, keys or lease ids. Labelled children
 * are cached, so a request costs a few map lookups and no label hashing.
 */
export class ServerMetrics implements ServiceObserver {
  readonly registry = new Registry();
  private readonly requests: Counter<'transport' | 'op' | 'outcome'>;
  private readonly requestSeconds: Histogram<'transport' | 'op'>;
  private readonly acquires: Counter<'store' | 'outcome'>;
  private readonly waitSeconds: Histogram<'store' | 'outcome'>;
  private readonly holdSeconds: Histogram<'store'>;
  private readonly expiries: Counter<'store'>;
  private readonly forceReleases: Counter<'store'>;
  private readonly fencingRejections: Counter<'store'>;
  private readonly storeSeconds: Histogram<'store' | 'op'>;
  private readonly storeErrors: Counter<'store' | 'op'>;
  private readonly requestCounts: Children<Inc>;
  private readonly requestTimes: Children<Observe>;
  private readonly acquireCounts: Children<Inc>;
  private readonly waitTimes: Children<Observe>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'leasehold_' });
    this.requests = new Counter({
      name: 'leasehold_requests_total',
      help: 'Requests by transport (http, stream, grpc), op and outcome ("ok" or the error code).',
      labelNames: ['transport', 'op', 'outcome'] as const,
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'leasehold_request_duration_seconds',
      help: 'Request duration by transport and op (waiting acquires included).',
      labelNames: ['transport', 'op'] as const,
      buckets: FAST,
      registers,
    });
    this.acquires = new Counter({
      name: 'leasehold_lock_acquires_total',
      help: 'Acquires (native and Dapr) by store and outcome: granted, refused, timed_out, cancelled.',
      labelNames: ['store', 'outcome'] as const,
      registers,
    });
    this.waitSeconds = new Histogram({
      name: 'leasehold_lock_wait_seconds',
      help: 'Time acquires that asked to wait spent before their outcome, by store and outcome.',
      labelNames: ['store', 'outcome'] as const,
      buckets: SLOW,
      registers,
    });
    this.holdSeconds = new Histogram({
      name: 'leasehold_lock_hold_seconds',
      help: 'Time from a grant to its release (of any kind) seen by this server, by store.',
      labelNames: ['store'] as const,
      buckets: SLOW,
      registers,
    });
    const perStore = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['store'] as const, registers });
    this.expiries = perStore('leasehold_lease_expiries_total', 'Leases that expired, by store.');
    this.forceReleases = perStore('leasehold_lock_force_releases_total', 'Locks an admin force-released.');
    this.fencingRejections = perStore(
      'leasehold_fencing_rejections_total',
      'Fenced writes refused with FENCED because the fence was no longer the current grant.',
    );
    this.storeSeconds = new Histogram({
      name: 'leasehold_store_operation_duration_seconds',
      help: 'Store operation latency by store and op.',
      labelNames: ['store', 'op'] as const,
      buckets: FAST,
      registers,
    });
    this.storeErrors = new Counter({
      name: 'leasehold_store_errors_total',
      help: 'Store operations that failed (backend failures, not refusals such as FENCED), by store and op.',
      labelNames: ['store', 'op'] as const,
      registers,
    });
    this.requestCounts = new Children((t, op, outcome) => this.requests.labels(t, op, outcome));
    this.requestTimes = new Children((t, op) => this.requestSeconds.labels(t, op));
    this.acquireCounts = new Children((store, outcome) => this.acquires.labels(store, outcome));
    this.waitTimes = new Children((store, outcome) => this.waitSeconds.labels(store, outcome));
  }

  requestDone(transport: Transport, op: string, _store: string, outcome: string, seconds: number): void {
    this.requestCounts.get(transport, op, outcome).inc();
    this.requestTimes.get(transport, op).observe(seconds);
  }

  acquireDone(store: string, outcome: AcquireOutcome, waitedSeconds: number | undefined): void {
    this.acquireCounts.get(store, outcome).inc();
    if (waitedSeconds !== undefined) this.waitTimes.get(store, outcome).observe(waitedSeconds);
  }

  forceReleased(store: string): void {
    this.forceReleases.labels(store).inc();
  }

  /** A lease of `store` expired. */
  leaseExpired(store: string): void {
    this.expiries.labels(store).inc();
  }

  /** A lock of `store` was held this long. */
  lockHeld(store: string, seconds: number): void {
    this.holdSeconds.labels(store).observe(seconds);
  }

  /** A fenced write to `store` was refused. */
  fencingRejected(store: string): void {
    this.fencingRejections.labels(store).inc();
  }

  /** The latency histogram of one store op: cache it, it is the same child every time. */
  storeOpTimer(store: string, op: string): Observe {
    return this.storeSeconds.labels(store, op);
  }

  /** The error counter of one store op: cache it too. */
  storeOpErrors(store: string, op: string): Inc {
    return this.storeErrors.labels(store, op);
  }
}

/** Labelled children made once per label values: nested maps, so a lookup allocates nothing. */
class Children<T> {
  private readonly byFirst = new Map<string, Map<string, Map<string, T>>>();

  constructor(private readonly make: (a: string, b: string, c: string) => T) {}

  get(a: string, b: string, c = ''): T {
    let byB = this.byFirst.get(a);
    if (!byB) this.byFirst.set(a, (byB = new Map<string, Map<string, T>>()));
    let byC = byB.get(b);
    if (!byC) byB.set(b, (byC = new Map<string, T>()));
    let child = byC.get(c);
    if (!child) byC.set(c, (child = this.make(a, b, c)));
    return child;
  }
}
