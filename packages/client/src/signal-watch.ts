/**
 * The items (calls) each AbortSignal would end, with one abort listener per signal however many
 * items it covers: a lease's signal covers every call made on the lease. A composite signal per
 * call (`AbortSignal.any`) cost more than the call itself on Node 20, which tracks each one weakly.
 */
export class SignalWatch<T> {
  private readonly bySignal = new WeakMap<AbortSignal, Set<T>>();

  constructor(private readonly onAbort: (item: T, reason: unknown) => void) {}

  /** Calls `onAbort(item, reason)` when `signal` aborts, unless `delete` came first. */
  add(signal: AbortSignal, item: T): void {
    let items = this.bySignal.get(signal);
    if (items === undefined) {
      const covered = new Set<T>();
      const onAbort = () => {
        for (const each of [...covered]) this.onAbort(each, signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.bySignal.set(signal, covered);
      items = covered;
    }
    items.add(item);
  }

  /** `item` no longer ends with `signal`. */
  delete(signal: AbortSignal, item: T): void {
    this.bySignal.get(signal)?.delete(item);
  }
}
