import type { LeaseholdError } from '../errors.js';
import { storeError } from '../errors.js';
import type { WatchEvent } from '../types.js';
import { WatchCompactedError } from './watch-compacted.js';
import type { Unsubscribe, WatchOptions } from './watch-store.js';

/** What a store still has after a revision: the events, and how far back it may have lost some. */
export interface RetainedHistory {
  readonly events: readonly WatchEvent[];
  /** Events at or below this revision may be gone; a resume from before it is not whole. */
  readonly forgottenThrough: number;
}

/** The two halves of a store's feed that `resumeWatch` joins. */
export interface ResumeSources {
  /**
   * Subscribes to live events; `ready` settles once every later change will come. The source
   * calls `fail` when its feed breaks and events may have been lost since.
   */
  readonly live: (
    onEvent: (event: WatchEvent) => void,
    fail: (error: LeaseholdError) => void,
  ) => { stop: Unsubscribe; ready: Promise<void> };
  /** Reads the retained events after a revision, in revision order. */
  readonly history: (afterRevision: number) => Promise<RetainedHistory>;
}

/**
 * A watch over a live feed and a separately read history, in the only order that loses nothing:
 * subscribe first, then read the history, then deliver both de-duplicated by revision. Live
 * events that arrive during the read wait; `onLive` is called once they have been delivered.
 */
export function resumeWatch(options: WatchOptions, sources: ResumeSources): Unsubscribe {
  let waiting: WatchEvent[] | undefined = [];
  let last = options.afterRevision ?? 0;
  let stopped = false;
  const deliver = (event: WatchEvent) => {
    if (stopped || event.revision <= last) return;
    last = event.revision;
    if (event.key.startsWith(options.prefix)) options.onEvent(event);
  };
  let stopLive: Unsubscribe = () => undefined;
  const end = (error: LeaseholdError) => {
    if (stopped) return;
    stopped = true;
    stopLive();
    options.onError?.(error);
  };
  const live = sources.live((event) => (waiting ? waiting.push(event) : deliver(event)), end);
  stopLive = live.stop;
  const after = options.afterRevision;
  live.ready
    .then(() => (after === undefined ? undefined : sources.history(after)))
    .then((history) => {
      if (stopped) return;
      if (history && after !== undefined && after < history.forgottenThrough) {
        return end(new WatchCompactedError(history.forgottenThrough + 1, after));
      }
      for (const event of history?.events ?? []) deliver(event);
      for (const event of waiting ?? []) deliver(event);
      waiting = undefined;
      options.onLive?.();
    })
    .catch((error: unknown) => end(storeError('watch', error)));
  return () => {
    stopped = true;
    live.stop();
  };
}
