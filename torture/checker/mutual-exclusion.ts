import type { History } from '../history/history-op.js';
import { grantsOf } from './grants.js';
import type { PropertyResult } from './violation.js';
import { overLimit, sweepWindows, windowsOf } from './window-sweep.js';

/**
 * Property 1: at no instant are two grants of one lock (native or Dapr) valid. Semaphores have their own
 * property (permit-bound), read/write locks theirs (rw-exclusion).
 */
export function checkMutualExclusion(history: History): PropertyResult {
  const grants = windowsOf(grantsOf(history), 'lock');
  return { checked: grants.length, violations: sweepWindows(grants, overLimit('mutual-exclusion')) };
}
