import { LeaseholdError, compareBytes } from '@leasehold/core';
import type { KvEntry, LeaseDetail, LockInfo, Usage } from '@leasehold/core';
import type { Answers } from './quorum.js';
import type { Reply } from '../redis/replies.js';
import { leaseDetail, list, lockInfo, usageOf } from '../redis/replies.js';

/** A status a majority agrees on: `winner` if any master gave it, else the most common answer. */
export function pickStatus<T>(answers: Answers, winner: T | undefined, order: readonly [T, ...T[]]): T {
  const given = answers.filter((a) => a !== undefined) as T[];
  if (winner !== undefined && given.includes(winner)) return winner;
  let best = order[0];
  let bestCount = -1;
  for (const status of order) {
    const count = given.filter((g) => g === status).length;
    if (count > bestCount) [best, bestCount] = [status, count];
  }
  return best;
}

/**
 * A lock is held when a majority of masters see the same holder on the same token, free when a majority
 * see it free; times are the most cautious. Anything else (a master that missed a grant, or one not yet
 * stamped with the grant's token, among the masters that answered) is a store error, not a guess.
 */
export function mergeLock(
  key: string,
  infos: readonly LockInfo[],
  quorum: number,
  waiters: number,
): LockInfo {
  const groups = new Map<string, LockInfo[]>();
  for (const info of infos) {
    const holder = info.held ? `${info.leaseId ?? `foreign:${info.owner ?? ''}`}#${info.fencingToken}` : '';
    groups.set(holder, [...(groups.get(holder) ?? []), info]);
  }
  for (const [holder, group] of groups) {
    if (group.length < quorum) continue;
    if (holder === '') return { key, held: false, waiters };
    const expires = group.map((g) => g.expiresInMs).filter((e) => e !== undefined);
    const acquired = group.map((g) => g.acquiredAt).filter((t) => t !== undefined);
    return {
      ...group[0]!,
      ...(acquired.length > 0 ? { acquiredAt: Math.min(...acquired) } : {}),
      ...(expires.length > 0 ? { expiresInMs: Math.min(...expires) } : {}),
      key,
      waiters,
    };
  }
  throw new LeaseholdError(
    'STORE_ERROR',
    `store failed during describeLock: the Redlock masters that answered disagree on ${key}'s holder ` +
      `(${quorum} needed to agree)`,
  );
}

/** The status an answer leads with ('ok', 'busy', ...), what a majority must agree on for a write. */
export function statusOf(answer: unknown): unknown {
  return Array.isArray(answer) ? (answer as unknown[])[0] : answer;
}

/** Who holds the lock on which token in one describe-lock answer ('' when free): what a majority must agree on. */
export function lockHolder(answer: unknown): string {
  const info = JSON.parse(answer as string) as LockInfo;
  return info.held ? `${info.leaseId ?? `foreign:${info.owner ?? ''}`}#${info.fencingToken}` : '';
}

/** Parses describe-lock answers. */
export function lockAnswers(answers: Answers): LockInfo[] {
  return answers.filter((a) => a !== undefined).map((a) => lockInfo(JSON.parse(a as string) as LockInfo));
}

/** Merges list-locks answers: keys a majority lists with one holder, in key order. */
export function mergeLocks(answers: Answers, quorum: number, limit: number): LockInfo[] {
  const byKey = new Map<string, LockInfo[]>();
  for (const answer of answers) {
    if (answer === undefined) continue;
    for (const info of list<LockInfo>(JSON.parse(answer as string)))
      byKey.set(info.key, [...(byKey.get(info.key) ?? []), lockInfo(info)]);
  }
  return [...byKey.keys()]
    .sort()
    .map((key) => mergeLock(key, byKey.get(key)!, quorum, 0))
    .filter((info) => info.held)
    .slice(0, limit);
}

/** A lease is live when a majority knows it; its locks and keys are those a majority binds to it. */
export function mergeLease(id: string, answers: Answers, quorum: number): LeaseDetail | undefined {
  const details = answers.filter((a) => a !== undefined && a !== '').map((a) => leaseDetail(id, String(a)));
  if (details.length < quorum) return undefined;
  const common = (pick: (d: LeaseDetail) => readonly string[]) => {
    const counts = new Map<string, number>();
    for (const d of details) for (const k of pick(d)) counts.set(k, (counts.get(k) ?? 0) + 1);
    return [...counts].filter(([, n]) => n >= quorum).map(([k]) => k);
  };
  const first = details[0]!;
  return {
    ...first,
    remainingMs: Math.min(...details.map((d) => d.remainingMs)),
    locks: common((d) => d.locks),
    keys: common((d) => d.keys),
  };
}

/** The middle of the answered numbers: what a majority agrees on when they differ. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1] ?? 0;
}

/**
 * Usage over the masters that answered (at least a majority): each count is the highest any of
 * them reports, so whatever a master counts is counted; the probed key and counter exist when a
 * majority has them, as `get` reads a key.
 */
export function mergeUsage(answers: Answers, quorum: number): Usage {
  const usages = answers.filter((a) => a !== undefined).map((a) => usageOf(a as Reply));
  const max = (pick: (u: Usage) => number) => Math.max(0, ...usages.map(pick));
  const sizes = usages.map((u) => u.kvKeyBytes).filter((b) => b !== undefined);
  const probed = usages.some((u) => u.counterExists !== undefined);
  const counterExists = usages.filter((u) => u.counterExists === true).length >= quorum;
  return {
    leases: max((u) => u.leases),
    locks: max((u) => u.locks),
    keys: max((u) => u.keys),
    keyBytes: max((u) => u.keyBytes),
    counters: max((u) => u.counters),
    ...(sizes.length >= quorum ? { kvKeyBytes: Math.max(...sizes) } : {}),
    ...(probed ? { counterExists } : {}),
  };
}

/**
 * Merges one listing page per master (undefined: no answer), each of up to `limit` keys in byte
 * order. Every master has told all its keys up to `bound` (the lowest last key of a full page;
 * undefined when no page was full, so nothing lies beyond): keys up to there that a majority lists
 * stand, each as its highest-revision row.
 */
export function mergeKeyPages(
  pages: readonly (readonly KvEntry[] | undefined)[],
  limit: number,
  quorum: number,
): { entries: KvEntry[]; bound: string | undefined } {
  let bound: string | undefined;
  for (const page of pages) {
    const last = page && page.length >= limit ? page[page.length - 1] : undefined;
    if (last && (bound === undefined || compareBytes(last.key, bound) < 0)) bound = last.key;
  }
  const byKey = new Map<string, KvEntry[]>();
  for (const entry of pages.flatMap((page) => page ?? [])) {
    if (bound === undefined || compareBytes(entry.key, bound) <= 0)
      byKey.set(entry.key, [...(byKey.get(entry.key) ?? []), entry]);
  }
  const entries = [...byKey.values()]
    .filter((rows) => rows.length >= quorum)
    .map((rows) => rows.reduce((a, b) => (b.revision > a.revision ? b : a)))
    .sort((a, b) => compareBytes(a.key, b.key));
  return { entries, bound };
}
