import { isLeaseholdError } from './errors.js';

/** The transports a request can arrive on. */
export type Transport = 'http' | 'stream' | 'grpc' | 'in-process';

/** How an acquire ended, as its caller saw it. */
export type AcquireOutcome = 'granted' | 'refused' | 'timed_out' | 'cancelled';

/** What an acquire asked for: a lock, permits of a semaphore, or a read/write lock. */
export type AcquireKind = 'lock' | 'semaphore' | 'rwlock';

/**
 * What the service tells a metrics layer, so core stays free of any metrics library. Every
 * callback is synchronous and must be cheap: it runs on the request path. Labels are stores, op
 * names, transports and outcome codes, never lock names, keys or lease ids.
 */
export interface ServiceObserver {
  /**
   * One request finished on a transport: `outcome` is 'ok' or the error code answered. `seconds`
   * is left out where timing would cost a noticeable share of the request (the client stream).
   */
  requestDone(transport: Transport, op: string, store: string, outcome: string, seconds?: number): void;
  /**
   * An acquire (native or Dapr) ended; `waitedSeconds` is set when the caller asked to wait.
   * `kind` is absent for a lock, so an observer written before pools counts locks only.
   */
  acquireDone(
    store: string,
    outcome: AcquireOutcome,
    waitedSeconds: number | undefined,
    kind?: Exclude<AcquireKind, 'lock'>,
  ): void;
  /** An admin force-released a held lock. */
  forceReleased(store: string): void;
}

/** The outcome label of a failed request: its error code, or INTERNAL for anything untyped. */
export function outcomeOf(error: unknown): string {
  return isLeaseholdError(error) ? error.code : 'INTERNAL';
}

/** How an acquire ended: a wait that ran out is timed_out, one its caller gave up is cancelled. */
export function acquireOutcome(
  acquired: boolean,
  waitMs: number,
  signal: AbortSignal | undefined,
): AcquireOutcome {
  if (acquired) return 'granted';
  if (waitMs === 0) return 'refused';
  return signal?.aborted ? 'cancelled' : 'timed_out';
}

/** Runs a semaphore or read/write lock acquire and tells `observer` how it ended and how long it waited. */
export async function observePoolAcquire<R extends { readonly acquired: boolean }>(
  observer: ServiceObserver | undefined,
  target: { readonly store: string; readonly kind: Exclude<AcquireKind, 'lock'> },
  wait: { readonly waitMs: number; readonly signal?: AbortSignal | undefined },
  run: () => Promise<R>,
): Promise<R> {
  if (!observer) return run();
  const started = performance.now();
  const result = await run();
  const waited = wait.waitMs > 0 ? (performance.now() - started) / 1000 : undefined;
  observer.acquireDone(
    target.store,
    acquireOutcome(result.acquired, wait.waitMs, wait.signal),
    waited,
    target.kind,
  );
  return result;
}
