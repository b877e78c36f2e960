import { LeaseholdError, invalidArgument } from '@leasehold/core';
import type { PermitAcquireResult, PermitHolder, SemaphoreInfo } from '@leasehold/core';
import { MODE_CONFLICT_TEXT } from './pool-lua.js';
import type { Reply } from './replies.js';
import { leaseNotFound, list } from './replies.js';

/** What kind of permit pool: a counting semaphore, or a read/write lock (read weighs 1, write all). */
export type PoolKind = 'semaphore' | 'rwlock';

/** A pool as the describe script encodes it (an empty holder list comes as `{}` from cjson). */
export interface RawPool {
  readonly key: string;
  readonly kind: PoolKind;
  readonly limit: number;
  readonly used: number;
  readonly holders: unknown;
  readonly waiters: number;
}

/** The grant a grant message or a status reply carries: 'token:permits'. */
function grantOf(token: string): PermitAcquireResult {
  const [fencingToken, permits] = token.split(':').map(Number);
  return { acquired: true, fencingToken: fencingToken ?? 0, permits: permits ?? 0 };
}

/** A permit grant message's payload, `<token>:<permits> <key>` (the key may hold spaces). */
export function permitGrant(payload: string): { outcome: PermitAcquireResult; keys: string[] } {
  const [token = ''] = payload.split(' ', 1);
  return { outcome: grantOf(token), keys: [payload.slice(token.length + 1)] };
}

/** How a permit waiter stands, from the status script's answer: 0 queued, -1 gone, else its grant. */
export function permitStatus(status: string): PermitAcquireResult | 'queued' | undefined {
  if (status === '0') return 'queued';
  return status === '-1' ? undefined : grantOf(status);
}

/** The refusal a cancel script answers: {available, waiters}. */
export function refusalOf(reply: unknown): PermitAcquireResult {
  const [available, waiters] = (reply as Reply).map(Number);
  return { acquired: false, available: available ?? 0, waiters: waiters ?? 0 };
}

/** An acquire script's reply as the acquire's outcome, or the typed error it stands for. */
export function acquireOutcome(
  reply: Reply,
  asked: { readonly leaseId: string; readonly permits: number; readonly limit?: number | undefined },
): PermitAcquireResult {
  const [status, a, b] = reply;
  switch (status) {
    case 'ok':
      return { acquired: true, fencingToken: Number(a), permits: Number(b) };
    case 'busy':
    case 'queued':
      return { acquired: false, available: Number(a), waiters: Number(b) };
    case 'nolease':
      throw leaseNotFound(asked.leaseId);
    case 'notfound':
      throw new LeaseholdError('NOT_FOUND', 'name: no such semaphore; pass limit to create it', {
        field: 'name',
      });
    case 'kind':
      throw wrongKind(String(a));
    case 'mismatch':
      throw limitMismatch('limit', Number(a), asked.limit ?? 0);
    case 'toomany':
      throw invalidArgument('permits', `must be at most the limit ${Number(a)}, got ${asked.permits}`);
    case 'modeconflict':
      throw new LeaseholdError('MODE_CONFLICT', MODE_CONFLICT_TEXT, { field: 'mode' });
    default:
      throw new LeaseholdError('STORE_ERROR', `acquire: unexpected reply ${JSON.stringify(reply)}`);
  }
}

/** LIMIT_MISMATCH naming the field, the limit in force (-1: none) and the one given. */
export function limitMismatch(field: string, stored: number, given: number): LeaseholdError {
  const inForce = stored < 0 ? 'the semaphore does not exist' : `its limit is ${stored}`;
  return new LeaseholdError('LIMIT_MISMATCH', `${field}: ${given} given, but ${inForce}`, { field });
}

/** The error for a pool of another kind than the operation's. */
export function wrongKind(kind: string): LeaseholdError {
  return invalidArgument('name', `names a ${noun(kind)}, not this kind of lock`);
}

function noun(kind: string): string {
  return kind === 'rwlock' ? 'read/write lock' : 'semaphore';
}

/** A described pool as SemaphoreInfo. */
export function poolInfo(raw: RawPool): SemaphoreInfo {
  const holders = list<PermitHolder & { owner?: string }>(raw.holders).map((h) => ({
    leaseId: h.leaseId,
    app: h.app,
    ...(h.owner === undefined ? {} : { owner: h.owner }),
    permits: h.permits,
    fencingToken: h.fencingToken,
    acquiredAt: h.acquiredAt,
  }));
  return { key: raw.key, limit: raw.limit, used: raw.used, holders, waiters: raw.waiters };
}
