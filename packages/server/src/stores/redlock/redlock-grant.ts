import type { AcquireResult } from '@leasehold/core';
import { LeaseholdError } from '@leasehold/core';
import type { LuaScript, ScriptArg } from '../redis/lua-script.js';
import type { Answers, Masters } from './quorum.js';
import { driftMs } from './quorum.js';
import { statusOf } from './redlock-merge.js';
import { stampTokenScript } from './redlock-scripts.js';
import type { Reply } from '../redis/replies.js';
import { acquireResult, leaseNotFound, text } from '../redis/replies.js';

/** One Redlock grant: the phase-one script, how to undo it, and the TTL it asked for. */
export interface GrantRequest {
  readonly op: string;
  readonly key: string;
  readonly leaseId?: string;
  readonly script: LuaScript;
  readonly args: readonly ScriptArg[];
  /** Undoes this grant on the masters marked. */
  readonly undo: (only: readonly boolean[]) => Promise<unknown>;
  /** The TTL to use when a master's reply carries none (a Dapr TryLock). */
  readonly ttlMs: number;
  readonly driftFactor: number;
}

/**
 * Grants a lock on a majority in two phases, so fencing tokens rise across grants:
 * 1. every master runs the single-Redis grant script, which issues a token from its own counter;
 * 2. the grant's token is the highest of the majority's tokens, and each master that still holds
 *    this grant is stamped with it and raises its counter to at least it.
 * The grant stands only if a majority granted, a majority was stamped, and the validity
 * (smallest TTL left − elapsed − drift) is positive; otherwise it is undone everywhere it applied.
 * Why tokens rise: a later grant of the same lock succeeds on a majority, which shares a master
 * with this grant's stamped majority; there the later grant ran only after this one's lock was
 * gone, which was after the stamp, so that master's counter issued it a token above ours.
 */
export async function grantOnMajority(
  masters: Masters,
  request: GrantRequest,
): Promise<AcquireResult & { app?: string }> {
  const started = performance.now();
  const phase1 = masters.race(request.script, request.args, { decide: masters.majority(statusOf) });
  const answers = await phase1.decided;
  const granted = answers.map((a) => Array.isArray(a) && a[0] === 'ok');
  const fresh = answers.map((a, i) => granted[i]! && (a as Reply)[3] !== 0);
  const okReplies = answers.filter((_, i) => granted[i]) as Reply[];
  if (okReplies.length >= masters.quorum) {
    const token = Math.max(...okReplies.map((r) => Number(r[1])));
    const stamps = await masters.run(
      stampTokenScript,
      (i) => [request.key, Number((answers[i] as Reply)[1]), token],
      { only: granted, decide: masters.majority((s) => s === 1) },
    );
    const ttls = okReplies.map((r) => (r[2] === undefined ? request.ttlMs : Number(r[2])));
    const minTtl = Math.min(...ttls);
    const validity = minTtl - (performance.now() - started) - driftMs(minTtl, request.driftFactor);
    if (masters.count(stamps, (s) => s === 1) >= masters.quorum && validity > 0) {
      void stampLate(masters, request, answers, phase1.all, token);
      // The app of the granted lease, from an acquire's reply (a Dapr grant's caller knows it).
      const app = text(okReplies[0]?.[4]);
      return { acquired: true, fencingToken: token, ...(app === undefined ? {} : { app }) };
    }
    undoUnanswered(request, answers);
    await request.undo(fresh);
    throw new LeaseholdError(
      'STORE_ERROR',
      `store failed during ${request.op}: the Redlock grant could not be confirmed on a majority in time`,
    );
  }
  undoUnanswered(request, answers);
  if (fresh.some(Boolean)) await request.undo(fresh);
  masters.requireQuorum(request.op, answers);
  const busy = answers.find((a) => Array.isArray(a) && a[0] === 'busy') as Reply | undefined;
  if (busy) return acquireResult(busy);
  if (answers.some((a) => Array.isArray(a) && a[0] === 'nolease')) throw leaseNotFound(request.leaseId ?? '');
  throw new LeaseholdError('STORE_ERROR', `store failed during ${request.op}: no majority agreed`);
}

/**
 * A grant that did not stand is undone, unawaited, on every master that had not answered when it
 * was decided: the undo queues behind the grant on that master's connection, so it runs after a
 * late grant and before any later attempt by the same lease. What it may release there is this
 * lease's hold on a minority only, which is no hold.
 */
function undoUnanswered(request: GrantRequest, decided: Answers): void {
  const unanswered = decided.map((a) => a === undefined);
  if (unanswered.some(Boolean)) void request.undo(unanswered);
}

/**
 * Stamps a grant that stands on each master that granted it only after it was decided, so every
 * master holding it carries its token. The stamp names the grant by the token that master issued
 * it, so a later grant there is left alone. A late answer never changes the outcome returned.
 */
async function stampLate(
  masters: Masters,
  request: GrantRequest,
  decided: Answers,
  all: Promise<Answers>,
  token: number,
): Promise<void> {
  const answers = await all;
  const late = answers.map(
    (a, i) => decided[i] === undefined && Array.isArray(a) && a[0] === 'ok' && a[3] !== 0,
  );
  if (!late.some(Boolean)) return;
  const mine = (i: number) => Number((answers[i] as Reply)[1]);
  await masters.run(stampTokenScript, (i) => [request.key, mine(i), token], { only: late });
}
