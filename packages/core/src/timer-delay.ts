/** The longest delay Node's setTimeout keeps; past it the timer fires at once (with a warning). */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * A setTimeout delay for a deadline `ms` away: never negative, never past MAX_TIMER_DELAY_MS. A
 * deadline further away (a Dapr lock of up to 2^31-1 seconds, a lease of a year) fires early, so
 * every caller re-checks its deadline when the timer fires.
 */
export function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_DELAY_MS, Math.max(0, Math.ceil(ms)));
}

/**
 * Calls `onDue` once `now()` reaches `dueAt`, on an unref()ed timer that waits out a deadline past
 * setTimeout's range rather than firing early. Returns what cancels it. Every wait and hold
 * deadline a store keeps in this process runs on it.
 */
export function atDeadline(dueAt: number, onDue: () => void, now: () => number = Date.now): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => (now() < dueAt ? arm() : onDue()), timerDelay(dueAt - now()));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
