import type { Overview, PoolHolder, RwLockRow, SemaphoreRow } from './api.js';
import { appBadge, duration, h, shortId, table } from './view.js';

/** The semaphore table, or why there is none. */
export function semaphoresPanel(overview: Overview): HTMLElement {
  if (!overview.semaphores) return h('div', { class: 'empty' }, 'This store has no semaphores.');
  const admin = overview.caller.role === 'admin';
  const head = [
    ...(admin ? ['app'] : []),
    'semaphore',
    'used / limit',
    'holders (permits, token)',
    'waiters',
  ];
  const rows = overview.semaphores.map((sem: SemaphoreRow) =>
    h(
      'tr',
      { 'data-semaphore': sem.name, 'data-app': sem.app },
      admin ? h('td', {}, appBadge(sem.app ?? sem.space)) : null,
      h('td', { class: 'name mono' }, sem.name),
      h('td', { class: 'num' }, usage(sem.used, sem.limit)),
      h(
        'td',
        {},
        holderList(
          sem.holders,
          admin,
          (holder) => `${holder.permits} permit${holder.permits === 1 ? '' : 's'}`,
        ),
      ),
      h('td', { class: 'num waiters' }, sem.waiters === 0 ? '—' : `${sem.waiters} waiting`),
    ),
  );
  const empty = admin ? 'No app has a semaphore in this store.' : 'Your app has no semaphores in this store.';
  return table(head, rows, empty);
}

/** The read/write lock table, or why there is none. */
export function rwlocksPanel(overview: Overview): HTMLElement {
  if (!overview.rwlocks) return h('div', { class: 'empty' }, 'This store has no read/write locks.');
  const admin = overview.caller.role === 'admin';
  const head = [...(admin ? ['app'] : []), 'read/write lock', 'mode', 'holders (mode, token)', 'waiters'];
  const rows = overview.rwlocks.map((lock: RwLockRow) =>
    h(
      'tr',
      { 'data-rwlock': lock.name, 'data-app': lock.app },
      admin ? h('td', {}, appBadge(lock.app ?? lock.space)) : null,
      h('td', { class: 'name mono' }, lock.name),
      h('td', { class: `mode ${lock.mode ?? 'free'}` }, lock.mode ?? 'free'),
      h(
        'td',
        {},
        holderList(lock.holders, admin, (holder) => holder.mode),
      ),
      h('td', { class: 'num waiters' }, lock.waiters === 0 ? '—' : `${lock.waiters} waiting`),
    ),
  );
  const empty = admin
    ? 'No app holds or awaits a read/write lock in this store.'
    : 'Your app holds no read/write locks in this store.';
  return table(head, rows, empty);
}

/** `2 / 3` with a bar filled to the share in use. */
function usage(used: number, limit: number): HTMLElement {
  const share = limit > 0 ? Math.min(1, used / limit) : 0;
  return h(
    'div',
    {},
    `${used} / ${limit}`,
    h('div', { class: 'meter' }, h('span', { style: `width:${Math.round(share * 100)}%` })),
  );
}

/** Holders in grant order: (app,) lease, owner, what each weighs, token and age. */
function holderList<H extends PoolHolder>(
  holders: readonly H[],
  admin: boolean,
  weighs: (holder: H) => string,
) {
  if (holders.length === 0) return '—';
  const now = Date.now();
  return h(
    'ul',
    { class: 'holders' },
    holders.map((holder) =>
      h(
        'li',
        { 'data-lease': holder.leaseId },
        admin && holder.app !== undefined ? [appBadge(holder.app), ' '] : null,
        holder.leaseId === undefined ? h('span', { class: 'muted' }, 'another app') : shortId(holder.leaseId),
        ' ',
        holder.owner ?? '',
        ' · ',
        h('span', { class: 'weight' }, weighs(holder)),
        ' · ',
        h('span', { class: 'mono' }, `token ${holder.fencingToken}`),
        h('span', { class: 'muted' }, ` · ${duration(now - holder.acquiredAt)}`),
      ),
    ),
  );
}
