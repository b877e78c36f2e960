import type { WatchEvent } from '../types.js';
import type { LeaseholdError } from '../errors.js';

/** A subscription to changes under a prefix. */
export interface WatchOptions {
  readonly prefix: string;
  /** Replays retained events with a revision above this one before live ones. */
  readonly afterRevision?: number;
  readonly onEvent: (event: WatchEvent) => void;
  /**
   * Called once, when every later change is sure to be delivered (and, on a resume, after the
   * retained history has been replayed): the moment a transport may tell its client "watching".
   */
  readonly onLive?: () => void;
  /**
   * Called at most once, when the watch cannot go on whole; no event follows. A history compacted
   * or trimmed past `afterRevision` is a `WatchCompactedError`; a lost backend feed is
   * `UNAVAILABLE` (resume from the last revision seen). Without it the watch would end silently.
   */
  readonly onError?: (error: LeaseholdError) => void;
}

/** Ends a watch. */
export type Unsubscribe = () => void;

/**
 * The change feed of a store: lock and key events, each with a revision. A store's subscribe
 * reports `onLive` once it is subscribed, replays what it retains after `afterRevision` with no
 * duplicate, and ends with `onError` rather than skip a change it no longer has.
 */
export interface WatchStore {
  /**
   * Whose changes the feed carries: every server's (absent, the default), or `'server'`, only those
   * made through this server (Redlock: its masters' channels are not merged). Reported to callers.
   */
  readonly feed?: 'server';
  /** Streams changes under a prefix until the returned function is called. */
  subscribe(options: WatchOptions): Unsubscribe;
}
