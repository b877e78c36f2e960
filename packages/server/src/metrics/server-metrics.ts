import type { AcquireKind, AcquireOutcome, ServiceObserver, Transport } from '@leasehold/core';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { CellFamily } from './cells.js';
import type { CounterCell, HistogramCell } from './cells.js';

/** Latency buckets for requests and store operations, in seconds. */
const FAST = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30];
/** Buckets for waits and holds, in seconds: up to the 10-minute waitMs cap and beyond. */
const SLOW = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 3600];

type Counter = CellFamily<CounterCell>;
type Histogram = CellFamily<HistogramCell>;

/**
 * Every series the service, the transports and the stores feed, in one registry per server (so
 * nothing is registered at import time). Label values are transports, op names, store names and
 * outcome codes, all from small fixed sets: never lock names, keys or lease ids. The hot-path
 * series are CellFamily, so a request costs a few map lookups and adds.
 */
export class ServerMetrics implements ServiceObserver {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly requestSeconds: Histogram;
  private readonly acquires: Counter;
  private readonly waitSeconds: Histogram;
  private readonly holdSeconds: Histogram;
  private readonly permitAcquires: Counter;
  private readonly permitWaitSeconds: Histogram;
  private readonly expiries: Counter;
  private readonly forceReleases: Counter;
  private readonly fencingRejections: Counter;
  private readonly storeSeconds: Histogram;
  private readonly storeErrors: Counter;

  constructor() {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'leasehold_' });
    const counter = (name: string, help: string, labels: string[]) =>
      new CellFamily<CounterCell>(r, name, help, labels);
    const histogram = (name: string, help: string, labels: string[], buckets: number[]) =>
      new CellFamily<HistogramCell>(r, name, help, labels, buckets);
    this.requests = counter(
      'leasehold_requests_total',
      'Requests by transport (http, stream, grpc), op and outcome ("ok" or the error code).',
      ['transport', 'op', 'outcome'],
    );
    this.requestSeconds = histogram(
      'leasehold_request_duration_seconds',
      'Request duration by transport (http, grpc) and op, waiting acquires included.',
      ['transport', 'op'],
      FAST,
    );
    this.acquires = counter(
      'leasehold_lock_acquires_total',
      'Acquires (native and Dapr) by store and outcome: granted, refused, timed_out, cancelled.',
      ['store', 'outcome'],
    );
    this.waitSeconds = histogram(
      'leasehold_lock_wait_seconds',
      'Time acquires that asked to wait spent before their outcome, by store and outcome.',
      ['store', 'outcome'],
      SLOW,
    );
    this.holdSeconds = histogram(
      'leasehold_lock_hold_seconds',
      'Time from a grant to its release (of any kind) seen by this server, by store.',
      ['store'],
      SLOW,
    );
    this.permitAcquires = counter(
      'leasehold_permit_acquires_total',
      'Semaphore and read/write lock acquires by store, kind (semaphore, rwlock) and outcome, as for locks.',
      ['store', 'kind', 'outcome'],
    );
    this.permitWaitSeconds = histogram(
      'leasehold_permit_wait_seconds',
      'Time semaphore and read/write lock acquires that asked to wait spent before their outcome.',
      ['store', 'kind', 'outcome'],
      SLOW,
    );
    this.expiries = counter('leasehold_lease_expiries_total', 'Leases that expired, by store.', ['store']);
    this.forceReleases = counter('leasehold_lock_force_releases_total', 'Locks an admin force-released.', [
      'store',
    ]);
    this.fencingRejections = counter(
      'leasehold_fencing_rejections_total',
      'Fenced writes refused with FENCED because the fence was no longer the current grant.',
      ['store'],
    );
    this.storeSeconds = histogram(
      'leasehold_store_operation_duration_seconds',
      'Store operation latency by store and op.',
      ['store', 'op'],
      FAST,
    );
    this.storeErrors = counter(
      'leasehold_store_errors_total',
      'Store operations that failed (backend failures, not refusals such as FENCED), by store and op.',
      ['store', 'op'],
    );
  }

  requestDone(transport: Transport, op: string, _store: string, outcome: string, seconds?: number): void {
    this.requests.labels(transport, op, outcome).inc();
    if (seconds !== undefined) this.requestSeconds.labels(transport, op).observe(seconds);
  }

  acquireDone(
    store: string,
    outcome: AcquireOutcome,
    waitedSeconds: number | undefined,
    kind?: Exclude<AcquireKind, 'lock'>,
  ): void {
    if (kind !== undefined) {
      this.permitAcquires.labels(store, kind, outcome).inc();
      if (waitedSeconds !== undefined)
        this.permitWaitSeconds.labels(store, kind, outcome).observe(waitedSeconds);
      return;
    }
    this.acquires.labels(store, outcome).inc();
    if (waitedSeconds !== undefined) this.waitSeconds.labels(store, outcome).observe(waitedSeconds);
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

  /** The latency histogram of one store op: cache it, it is the same cell every time. */
  storeOpTimer(store: string, op: string): HistogramCell {
    return this.storeSeconds.labels(store, op);
  }

  /** The error counter of one store op: cache it too. */
  storeOpErrors(store: string, op: string): CounterCell {
    return this.storeErrors.labels(store, op);
  }
}
