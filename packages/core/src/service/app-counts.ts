/**
 * How many of something each app has open on this server (waiting acquires, watches): kept in
 * memory, as these quotas are per server and end with the connection that holds them.
 */
export class AppCounts {
  private readonly counts = new Map<string, number>();

  /** The app's current count. */
  of(appId: string): number {
    return this.counts.get(appId) ?? 0;
  }

  /** Counts one for the app until the returned function is called; calling it again does nothing. */
  hold(appId: string): () => void {
    this.bump(appId, 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.bump(appId, -1);
    };
  }

  /** Zero entries are dropped, so an app that left costs nothing. */
  private bump(appId: string, delta: number): void {
    const next = this.of(appId) + delta;
    if (next <= 0) this.counts.delete(appId);
    else this.counts.set(appId, next);
  }
}
