import { atDeadline } from '@leasehold/core';

/**
 * maxHoldMs timers of the grants this server made. A lock's deadline is also stored in its value
 * (`holdUntil`), which the head waiter on any server enforces too, so a hold still ends when the
 * granting server is gone. Both release by fencing token, so a late timer never touches a later grant.
 */
export class HoldTimers {
  private readonly timers = new Map<string, { token: number; cancel: () => void }>();
  private closed = false;

  constructor(
    private readonly releaseGrant: (key: string, token: number, app: string | undefined) => Promise<unknown>,
  ) {}

  /**
   * Releases grant `token` of `key` (held by a lease of `app`) after `delayMs`; scheduling the same
   * grant again is a no-op.
   */
  schedule(key: string, token: number, app: string | undefined, delayMs: number): void {
    if (this.closed) return;
    const existing = this.timers.get(key);
    if (existing?.token === token) return;
    existing?.cancel();
    const cancel = atDeadline(Date.now() + delayMs, () => this.fire(key, token, app));
    this.timers.set(key, { token, cancel });
  }

  /** Forgets the timer of `key` (its grant was released). */
  cancel(key: string): void {
    const existing = this.timers.get(key);
    if (!existing) return;
    existing.cancel();
    this.timers.delete(key);
  }

  /** Stops every timer. */
  close(): void {
    this.closed = true;
    for (const { cancel } of this.timers.values()) cancel();
    this.timers.clear();
  }

  private fire(key: string, token: number, app: string | undefined): void {
    this.timers.delete(key);
    // An unreachable cluster: try again shortly rather than let the hold run on.
    this.releaseGrant(key, token, app).catch(() => this.schedule(key, token, app, 500));
  }
}
