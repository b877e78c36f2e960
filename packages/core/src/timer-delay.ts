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
