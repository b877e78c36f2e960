import type { History } from '../history/history-op.js';
import { grantsOf } from './grants.js';
import type { PropertyResult } from './violation.js';
import { overLimit, sweepWindows, windowsOf } from './window-sweep.js';

/**
 * Semaphores: at no instant do the valid grants of one semaphore hold more permits than its limit (the
 * lowest limit any of them was granted under). Validity is mutual exclusion's: a grant holds from its
 * acknowledgement until its release starts, its lease is revoked, or its lease's TTL runs out.
 */
export function checkPermitBound(history: History): PropertyResult {
  const grants = windowsOf(grantsOf(history), 'semaphore');
  return { checked: grants.length, violations: sweepWindows(grants, overLimit('permit-bound')) };
}
