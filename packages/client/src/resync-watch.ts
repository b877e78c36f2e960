import { WatchCompactedError } from './errors.js';
import type { KvApi, KvEntry } from './kv-api.js';
import type { Transport, WatchEvent } from './transport.js';

/** Settings of a watch that reloads a snapshot when its history is compacted. */
export interface ResyncWatchOptions {
  readonly afterRevision?: number;
  readonly onError?: (error: Error) => void;
  /** The values under the prefix, listed after a compaction; the events that follow apply on top. */
  readonly resync: (entries: KvEntry[]) => void;
}

/**
 * A watch that survives compaction: on `WatchCompactedError` it lists the prefix, hands the
 * entries to `resync`, and watches again from the oldest retained revision. A replayed key event
 * that the listing already reflects (its revision is not above the entry's) is skipped, so the
 * watcher's state converges on the store's once the replay passes the time of the listing.
 */
export function watchWithResync(
  transport: Transport,
  kv: KvApi,
  prefix: string,
  onEvent: (event: WatchEvent) => void,
  options: ResyncWatchOptions,
): () => void {
  let stopped = false;
  let stop = (): void => undefined;
  const start = (afterRevision: number | undefined, listed: ReadonlyMap<string, number>) => {
    stop = transport.watch(
      prefix,
      {
        onEvent: (event) => {
          const seen = event.type === 'put' || event.type === 'delete' ? listed.get(event.key) : undefined;
          if (seen === undefined || event.revision > seen) onEvent(event);
        },
        onError: (error) => {
          options.onError?.(error);
          if (error instanceof WatchCompactedError && !stopped) void reload(error.oldestRevision);
        },
      },
      afterRevision,
    );
  };
  const reload = async (oldestRevision: number) => {
    try {
      const entries: KvEntry[] = [];
      for await (const entry of kv.entries(prefix)) entries.push(entry);
      if (stopped) return;
      options.resync(entries);
      start(oldestRevision - 1, new Map(entries.map((entry) => [entry.key, entry.revision])));
    } catch (error) {
      options.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
  };
  start(options.afterRevision, new Map());
  return () => {
    stopped = true;
    stop();
  };
}
