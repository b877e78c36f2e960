import type { WatchEvent } from '../types.js';

/** A subscription to changes under a prefix. */
export interface WatchOptions {
  readonly prefix: string;
  /** Replays retained events with a revision above this one before live ones. */
  readonly afterRevision?: number;
  readonly onEvent: (event: WatchEvent) => void;
}

/** Ends a watch. */
export type Unsubscribe = () => void;

/** The change feed of a store: lock and key events, each with a revision. */
export interface WatchStore {
  /** Streams changes under a prefix until the returned function is called. */
  subscribe(options: WatchOptions): Unsubscribe;
}
