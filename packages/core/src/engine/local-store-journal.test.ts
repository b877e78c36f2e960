import { afterEach, describe, expect, it } from 'vitest';
import type { Change, Journal, Snapshot } from '../changes.js';
import { LeaseholdError } from '../errors.js';
import { LocalStore } from './local-store.js';
import type { WatchEvent } from '../types.js';

/** One call to `commit`, settled by the test when it chooses. */
interface PendingCommit {
  readonly changes: readonly Change[];
  resolve(): void;
  reject(error: Error): void;
}

/** A journal whose commits stay in flight until the test resolves or rejects them. */
class HandJournal implements Journal {
  readonly commits: PendingCommit[] = [];
  closed = false;

  load(): Snapshot | undefined {
    return undefined;
  }

  commit(changes: readonly Change[]): Promise<void> {
    return new Promise<void>((resolve, reject) => this.commits.push({ changes, resolve, reject }));
  }

  close(): void {
    this.closed = true;
  }
}

/** Lets timers, setImmediate flushes and promise callbacks run. */
const turns = async (n = 3): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Tracks whether a promise has settled yet, without awaiting it. */
function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

const kinds = (commit: PendingCommit | undefined) => commit?.changes.map((c) => c.kind) ?? [];

describe('LocalStore over an asynchronous journal', () => {
  let journal: HandJournal;
  let store: LocalStore;
  afterEach(async () => {
    for (const commit of journal.commits) commit.resolve();
    const closing = store.close();
    // close() flushes what is pending; let those commits resolve too.
    while (!journal.closed) {
      await turns(1);
      for (const commit of journal.commits) commit.resolve();
    }
    await closing;
  });
  const open = () => {
    journal = new HandJournal();
    store = new LocalStore({ journal });
  };

  it('sends no reply before the commit carrying its change resolves', async () => {
    open();
    const grant = track(store.leases.grant({ ttlMs: 10_000, app: 'a' }));
    await turns();
    expect(journal.commits).toHaveLength(1);
    expect(kinds(journal.commits[0])).toContain('lease.put');
    expect(grant.settled).toBe(false);

    journal.commits[0]!.resolve();
    await expect(grant.promise).resolves.toMatchObject({ ttlMs: 10_000 });
  });

  it('commits the changes of one turn together', async () => {
    open();
    const a = store.kv.put({ key: 'a', value: '1', app: 'x' });
    const b = store.kv.put({ key: 'b', value: '2', app: 'x' });
    await turns();
    expect(journal.commits).toHaveLength(1);
    journal.commits[0]!.resolve();
    await expect(Promise.all([a, b])).resolves.toHaveLength(2);
  });

  it('holds the next batch until the commit in flight resolves, then commits it in order', async () => {
    open();
    const first = track(store.kv.put({ key: 'k', value: 'first', app: 'x' }));
    await turns();
    expect(journal.commits).toHaveLength(1);

    const second = track(store.kv.put({ key: 'k', value: 'second', app: 'x' }));
    const third = track(store.kv.put({ key: 'other', value: 'third', app: 'x' }));
    await turns();
    expect(journal.commits).toHaveLength(1); // never two commits at once

    journal.commits[0]!.resolve();
    await turns();
    expect(first.settled).toBe(true);
    expect(second.settled).toBe(false);
    expect(journal.commits).toHaveLength(2);
    const values = journal.commits.map((c) =>
      c.changes.flatMap((change) => (change.kind === 'kv.put' ? [change.row.value] : [])),
    );
    expect(values).toEqual([['first'], ['second', 'third']]);

    journal.commits[1]!.resolve();
    await expect(second.promise).resolves.toMatchObject({ version: 2 });
    await expect(third.promise).resolves.toMatchObject({ version: 1 });
  });

  it('answers a read of state still in flight only after that state is durable', async () => {
    open();
    const put = store.kv.put({ key: 'k', value: 'v', app: 'x' });
    await turns();
    const read = track(store.kv.get('k'));
    await turns();
    expect(read.settled).toBe(false);

    journal.commits[0]!.resolve();
    await put;
    await expect(read.promise).resolves.toMatchObject({ value: 'v' });
    expect(journal.commits).toHaveLength(1); // a read adds nothing to commit
  });

  it('publishes watch events only once their batch is durable', async () => {
    open();
    const seen: WatchEvent[] = [];
    store.watch.subscribe({ prefix: '', onEvent: (event) => seen.push(event) });
    const put = store.kv.put({ key: 'k', value: 'v', app: 'x' });
    await turns();
    expect(seen).toEqual([]);

    journal.commits[0]!.resolve();
    await put;
    expect(seen.map((e) => [e.type, e.key])).toEqual([['put', 'k']]);
  });

  it('hands a lock to a waiter only once the release that freed it is durable', async () => {
    open();
    const holderLease = store.leases.grant({ ttlMs: 10_000, app: 'a' });
    const waiterLease = store.leases.grant({ ttlMs: 10_000, app: 'a' });
    await turns();
    journal.commits[0]!.resolve();
    const [holder, waiter] = await Promise.all([holderLease, waiterLease]);
    const held = store.locks.acquire({ key: 'lock', leaseId: holder.id, app: 'a' });
    await turns();
    journal.commits[1]!.resolve();
    await expect(held).resolves.toMatchObject({ acquired: true });

    const handOff = track(store.locks.acquire({ key: 'lock', leaseId: waiter.id, app: 'a', waitMs: 10_000 }));
    const release = store.locks.release('lock', holder.id, 'a');
    await turns();
    expect(journal.commits).toHaveLength(3);
    expect(handOff.settled).toBe(false);

    journal.commits[2]!.resolve();
    await release;
    await expect(handOff.promise).resolves.toMatchObject({ acquired: true });
  });

  it('fails closed when a commit rejects: that reply, the queued ones and every later one reject alike', async () => {
    open();
    const first = store.kv.put({ key: 'k', value: 'first', app: 'x' });
    await turns();
    const queued = store.kv.put({ key: 'k', value: 'second', app: 'x' });
    const seen: WatchEvent[] = [];
    store.watch.subscribe({ prefix: '', onEvent: (event) => seen.push(event) });

    journal.commits[0]!.reject(new Error('disk full'));
    const failure = await first.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(LeaseholdError);
    expect(failure).toMatchObject({ code: 'STORE_ERROR' });
    await expect(queued).rejects.toBe(failure);
    await expect(store.kv.get('k')).rejects.toBe(failure);
    await expect(store.leases.grant({ ttlMs: 1_000, app: 'x' })).rejects.toBe(failure);
    await expect(store.ping()).resolves.toBe(false);
    await turns();
    expect(journal.commits).toHaveLength(1); // nothing is committed after a failure
    expect(seen).toEqual([]); // and nothing that failed to persist is published
  });

  it('rejects a waiter whose hand-off failed to commit', async () => {
    open();
    const leases = Promise.all([
      store.leases.grant({ ttlMs: 10_000, app: 'a' }),
      store.leases.grant({ ttlMs: 10_000, app: 'a' }),
    ]);
    await turns();
    journal.commits[0]!.resolve();
    const [holder, waiter] = await leases;
    const held = store.locks.acquire({ key: 'lock', leaseId: holder.id, app: 'a' });
    await turns();
    journal.commits[1]!.resolve();
    await held;

    const handOff = store.locks.acquire({ key: 'lock', leaseId: waiter.id, app: 'a', waitMs: 10_000 });
    const release = store.locks.release('lock', holder.id, 'a');
    await turns();
    journal.commits[2]!.reject(new Error('disk full'));
    await expect(release).rejects.toMatchObject({ code: 'STORE_ERROR' });
    await expect(handOff).rejects.toMatchObject({ code: 'STORE_ERROR' });
  });

  it('close waits for the commit in flight and commits what is pending before closing the journal', async () => {
    open();
    const first = store.kv.put({ key: 'a', value: '1', app: 'x' });
    await turns();
    const second = track(store.kv.put({ key: 'b', value: '2', app: 'x' }));
    const closing = track(store.close());
    await turns();
    expect(closing.settled).toBe(false);
    expect(journal.closed).toBe(false);
    expect(journal.commits).toHaveLength(1);

    journal.commits[0]!.resolve();
    await first;
    await turns();
    expect(journal.commits).toHaveLength(2); // the pending batch is flushed, not dropped
    expect(closing.settled).toBe(false);
    expect(journal.closed).toBe(false);

    journal.commits[1]!.resolve();
    await closing.promise;
    expect(journal.closed).toBe(true);
    await expect(second.promise).resolves.toMatchObject({ version: 1 });
    await expect(store.kv.get('a')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
