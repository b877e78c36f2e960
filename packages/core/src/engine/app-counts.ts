/** A count per app (leases, locks), kept as they change so a quota check costs one lookup. */
export class AppCounts {
  private readonly counts = new Map<string, number>();

  /** The count of `app`; 0 when it has none. */
  of(app: string): number {
    return this.counts.get(app) ?? 0;
  }

  /** Adds `delta` to the count of `app`; an app back at zero is forgotten, so departed apps cost nothing. */
  add(app: string, delta: number): void {
    const next = (this.counts.get(app) ?? 0) + delta;
    if (next === 0) this.counts.delete(app);
    else this.counts.set(app, next);
  }
}
