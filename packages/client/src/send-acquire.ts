import type { Lease } from './lease.js';
import { abortReason } from './transport.js';
import type { CallLease, Op, Transport } from './transport.js';
import { optionalMs, requireLease } from './validate.js';

/** The options every acquire takes. */
interface AcquireInput {
  readonly lease: Lease;
  readonly waitMs?: number;
  readonly maxHoldMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * An acquire's options, checked before anything is sent: the lease (a lost one throws its reason),
 * the wait (`fixedWaitMs` for a try), the hold deadline; an aborted signal throws its reason.
 */
export function readAcquire(input: AcquireInput, fixedWaitMs?: 0) {
  const lease = requireLease('lease', input?.lease);
  const waitMs = fixedWaitMs ?? optionalMs('waitMs', input.waitMs) ?? 0;
  const maxHoldMs = optionalMs('maxHoldMs', input.maxHoldMs, 1);
  if (lease.lostReason) throw lease.lostReason;
  input.signal?.throwIfAborted();
  return { lease, waitMs, maxHoldMs };
}

/** What every acquire's handle offers the send: whether it holds something, and how to give it back. */
interface Releasable {
  readonly acquired: boolean;
  release(): Promise<unknown>;
}

/**
 * Sends one acquire that may wait and makes its handle. The lease itself, not its signal, travels
 * with the call (a signal per lease held 100,000 AbortControllers), and the caller's signal apart
 * from it: a composite signal per call cost more than the call. Only a waiting acquire is ever sent
 * again after a reconnect. A grant that lands after the caller aborted, or the lease was lost, is
 * given back and the reason thrown.
 */
export async function sendAcquire<R, H extends Releasable>(
  transport: Transport,
  op: Op,
  args: Record<string, unknown>,
  call: { lease: Lease; waitMs: number; signal: AbortSignal | undefined },
  handleOf: (reply: R, reentered: number) => H,
): Promise<H> {
  let reentered = 0;
  const options: { lease: CallLease; signal?: AbortSignal; onReentered?: () => void } = { lease: call.lease };
  if (call.signal) options.signal = call.signal;
  if (call.waitMs > 0) options.onReentered = () => reentered++;
  const reply = await transport.call<R>(op, args, options);
  const handle = handleOf(reply, reentered);
  const aborted = abortReason(options);
  if (aborted !== undefined) {
    if (handle.acquired) await handle.release().catch(() => undefined);
    throw aborted;
  }
  return handle;
}
