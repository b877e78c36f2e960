import type { EtcdKeys } from './etcd-keys.js';
import { prefixEnd } from './etcd-keys.js';
import type { WatchMux } from './watch-mux.js';

const RECENT_MS = 30_000;
const SWEEP_EVERY = 1_024;

interface Subscriber {
  readonly from: number;
  readonly onDelete: () => void;
}

/**
 * Deletions of lock and queue keys, from one etcd watch per server that stays in sync. A waiter
 * subscribes to exactly one key (its predecessor, the lock, or its own queue key); nothing else
 * wakes it. Why not one etcd watch per waiter: etcd serves a watch that starts in the past from a
 * background loop that runs every 100 ms, which would add up to 100 ms to every hand-off under load.
 * Deletions of the last 30 s are remembered, so a subscription that starts from a revision already
 * passed still sees its deletion.
 */
export class DeleteHub {
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private readonly recent = new Map<string, { revision: number; atMs: number }>();
  private started: Promise<void> | undefined;
  private stops: (() => void)[] = [];
  private inserts = 0;

  constructor(
    private readonly mux: WatchMux,
    private readonly keys: EtcdKeys,
  ) {}

  /** Starts the watches once; resolves when etcd has registered them, so later reads are covered. */
  start(): Promise<void> {
    this.started ??= Promise.all(
      [this.keys.lock(''), this.keys.queueRoot()].map(
        (prefix) =>
          new Promise<void>((resolve) => {
            const stop = this.mux.watch({
              key: prefix,
              rangeEnd: prefixEnd(prefix),
              startRevision: 0,
              deletesOnly: true,
              onCreated: () => resolve(),
              onEvents: (events) => {
                for (const event of events) this.deleted(event.kv.key, Number(event.kv.mod_revision));
              },
              onCancel: () => this.restart(),
            });
            this.stops.push(stop);
          }),
      ),
    ).then(() => undefined);
    return this.started;
  }

  /**
   * etcd cancelled a watch (its history was compacted while we were disconnected): watch again from
   * now and wake every waiter, each of which looks at the etcd state again before it sleeps.
   */
  private restart(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.started = undefined;
    void this.start();
    const woken = [...this.subscribers.values()].flatMap((set) => [...set]);
    this.subscribers.clear();
    for (const subscriber of woken) subscriber.onDelete();
  }

  /** Calls `onDelete` once `key` is deleted at `from` or later; the returned function unsubscribes. */
  onDelete(key: Buffer, from: number, onDelete: () => void): () => void {
    const id = key.toString('latin1');
    const seen = this.recent.get(id);
    if (seen && seen.revision >= from) {
      queueMicrotask(onDelete);
      return () => undefined;
    }
    const subscriber: Subscriber = { from, onDelete };
    let set = this.subscribers.get(id);
    if (!set) this.subscribers.set(id, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(id) === set) this.subscribers.delete(id);
    };
  }

  private deleted(key: Buffer, revision: number): void {
    const id = key.toString('latin1');
    const now = Date.now();
    this.recent.delete(id);
    this.recent.set(id, { revision, atMs: now });
    if (++this.inserts % SWEEP_EVERY === 0) this.sweep(now);
    const set = this.subscribers.get(id);
    if (!set) return;
    for (const subscriber of [...set]) {
      if (revision < subscriber.from) continue;
      set.delete(subscriber);
      subscriber.onDelete();
    }
    if (set.size === 0) this.subscribers.delete(id);
  }

  /** Forgets old deletions; the map is in insertion order, so the oldest come first. */
  private sweep(now: number): void {
    for (const [id, { atMs }] of this.recent) {
      if (atMs > now - RECENT_MS) break;
      this.recent.delete(id);
    }
  }
}
