import type { LeaseholdClient, RwLockDescription, SemaphoreDescription } from '@leasehold/client';
import { formatMs, table } from '../output.js';

/** Which kind `status` shows: a semaphore or a read/write lock (a plain lock is status.ts's own). */
export type PoolKind = 'semaphore' | 'rwlock';

const since = (at: number) => formatMs(Date.now() - at);

function describeSemaphore(sem: SemaphoreDescription): string {
  const head = `${sem.name}: ${sem.used} of ${sem.limit} permits used, ${sem.waiters} waiting`;
  if (sem.holders.length === 0) return head;
  const rows = sem.holders.map((h) => [
    h.leaseId ?? '(another app)',
    h.owner ?? '-',
    String(h.permits),
    String(h.fencingToken),
    since(h.acquiredAt),
  ]);
  return `${head}\n${indent(table([['LEASE', 'OWNER', 'PERMITS', 'TOKEN', 'HELD'], ...rows]))}`;
}

function describeRwLock(lock: RwLockDescription): string {
  const head = `${lock.name}: ${lock.mode === null ? 'free' : `held for ${lock.mode}`}, ${lock.waiters} waiting`;
  if (lock.holders.length === 0) return head;
  const rows = lock.holders.map((h) => [
    h.leaseId ?? '(another app)',
    h.owner ?? '-',
    h.mode,
    String(h.fencingToken),
    since(h.acquiredAt),
  ]);
  return `${head}\n${indent(table([['LEASE', 'OWNER', 'MODE', 'TOKEN', 'HELD'], ...rows]))}`;
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

/** One semaphore or read/write lock: its data for `--json`, and the words for people. */
export async function describePool(
  client: LeaseholdClient,
  kind: PoolKind,
  name: string,
): Promise<{ data: unknown; human: () => string }> {
  if (kind === 'semaphore') {
    const sem = await client.semaphores.describe(name);
    return { data: sem, human: () => describeSemaphore(sem) };
  }
  const lock = await client.rwlocks.describe(name);
  return { data: lock, human: () => describeRwLock(lock) };
}

/** The semaphores or read/write locks under `prefix`, as a table. */
export async function listPools(
  client: LeaseholdClient,
  kind: PoolKind,
  prefix: string,
): Promise<{ data: unknown; human: () => string }> {
  if (kind === 'semaphore') {
    const all = await client.semaphores.list({ prefix });
    const rows = all.map((s) => [
      s.name,
      `${s.used}/${s.limit}`,
      String(s.holders.length),
      String(s.waiters),
    ]);
    const human = () =>
      all.length === 0 ? 'no semaphores' : table([['NAME', 'USED', 'HOLDERS', 'WAITERS'], ...rows]);
    return { data: all, human };
  }
  const all = await client.rwlocks.list({ prefix });
  const rows = all.map((l) => [l.name, l.mode ?? 'free', String(l.holders.length), String(l.waiters)]);
  const human = () =>
    all.length === 0 ? 'no read/write locks' : table([['NAME', 'MODE', 'HOLDERS', 'WAITERS'], ...rows]);
  return { data: all, human };
}
