import { LeaseholdError } from '@leasehold/core';
import type { Unsubscribe, WatchOptions, WatchStore } from '@leasehold/core';

/** Why a watch on lock.postgresql fails today. */
export const WATCH_NOT_YET =
  'store: lock.postgresql has no watch: not yet (the events table and its feed come with a later slice of issue 16)';

/**
 * No change feed yet: every subscription ends at once with NOT_SUPPORTED through `onError`, so a
 * watcher is told instead of waiting on a feed that never speaks. Revisions are already drawn in
 * commit order (ADR 0030), so the feed can be added without changing a token.
 */
export class PgWatch implements WatchStore {
  subscribe(options: WatchOptions): Unsubscribe {
    let active = true;
    queueMicrotask(() => {
      if (active) options.onError?.(new LeaseholdError('NOT_SUPPORTED', WATCH_NOT_YET, { field: 'store' }));
    });
    return () => {
      active = false;
    };
  }
}
