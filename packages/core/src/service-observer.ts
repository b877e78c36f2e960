import { isLeaseholdError } from './errors.js';

/** The transports a request can arrive on. */
export type Transport = 'http' | 'stream' | 'grpc' | 'in-process';

/** How an acquire ended, as its caller saw it. */
export type AcquireOutcome = 'granted' | 'refused' | 'timed_out' | 'cancelled';

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
  /** An acquire (native or Dapr) ended; `waitedSeconds` is set when the caller asked to wait. */
  acquireDone(store: string, outcome: AcquireOutcome, waitedSeconds: number | undefined): void;
  /** An admin force-released a held lock. */
  forceReleased(store: string): void;
}

/** The outcome label of a failed request: its error code, or INTERNAL for anything untyped. */
export function outcomeOf(error: unknown): string {
  return isLeaseholdError(error) ? error.code : 'INTERNAL';
}
