import { timerDelay } from '@leasehold/core';

/**
 * maxHoldMs timers of the grants this server made. A lock's deadline is also stored in its value
 * (`holdUntil`), which the head waiter on any server enforces too, so a hold still ends when the
 * granting server is gone. Both release by fencing token, so a late timer never touches a later grant.
 */
export class HoldTimers {
  private readonly timers = new Map<string, { token: number; timer: NodeJS.Timeout }>();
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
    if (existing) clearTimeout(existing.timer);
    const dueAt = Date.now() + delayMs;
    const timer = setTimeout(() => this.fire(key, token, app, dueAt), timerDelay(delayMs));
    timer.unref();
    this.timers.set(key, { token, timer });
  }

  /** Forgets the timer of `key` (its grant was released). */
  cancel(key: string): void {
    const existing = this.timers.get(key);
    if (!existing) return;
    clearTimeout(existing.timer);
    this.timers.delete(key);
  }

  /** Stops every timer. */
  close(): void {
    this.closed = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private fire(key: string, token: number, app: string | undefined, dueAt: number): void {
    this.timers.delete(key);
    // A hold past setTimeout's range fires early: wait out the rest.
    if (Date.now() < dueAt) return this.schedule(key, token, app, dueAt - Date.now());
    // An unreachable cluster: try again shortly rather than let the hold run on.
    this.releaseGrant(key, token, app).catch(() => this.schedule(key, token, app, 500));
  }
}
