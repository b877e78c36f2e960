import type { LeaseRow, LockRow, Overview, QueueEntry, StoreSummary } from './api.js';
import type { FeedEvent } from './events.js';
import { appBadge, duration, h, shortId, table } from './view.js';

/** The lock table; `onForce` is offered to admins only. */
export function locksPanel(
  overview: Overview,
  elapsedMs: number,
  onForce: ((lock: LockRow) => void) | undefined,
): HTMLElement {
  const admin = overview.caller.role === 'admin';
  const head = [
    ...(admin ? ['app'] : []),
    'lock',
    'holder lease',
    'owner',
    'token',
    'age',
    'time left',
    'waiters (queue order)',
    ...(onForce ? [''] : []),
  ];
  const now = Date.now();
  const rows = overview.locks.map((lock) => {
    const left = lock.expiresInMs === undefined ? undefined : lock.expiresInMs - elapsedMs;
    return h(
      'tr',
      { 'data-lock': lock.name, 'data-app': lock.app },
      admin ? h('td', {}, appBadge(lock.app ?? lock.space)) : null,
      h('td', { class: 'name mono' }, lock.name),
      h(
        'td',
        {},
        lock.leaseId === undefined ? h('span', { class: 'muted' }, 'another app') : shortId(lock.leaseId),
      ),
      h('td', { class: 'owner' }, lock.owner ?? '—'),
      h('td', { class: 'num mono' }, lock.fencingToken ?? '—'),
      h('td', { class: 'num' }, duration(lock.acquiredAt === undefined ? undefined : now - lock.acquiredAt)),
      h('td', { class: left !== undefined && left < 5000 ? 'num soon' : 'num' }, duration(left)),
      h('td', { class: 'waiters' }, queueList(lock)),
      onForce
        ? h(
            'td',
            {},
            h('button', { class: 'danger', type: 'button', onclick: () => onForce(lock) }, 'Force release'),
          )
        : null,
    );
  });
  return table(
    head,
    rows,
    admin ? 'No app holds a lock in this store.' : 'Your app holds no locks in this store.',
  );
}

function queueList(lock: LockRow): HTMLElement | string {
  if (lock.waiters === 0) return '—';
  if (!lock.queue) return `${lock.waiters} waiting (this store cannot list its queue)`;
  return h(
    'ol',
    { class: 'queue' },
    lock.queue.map((entry) => h('li', {}, waiterText(entry))),
  );
}

function waiterText(entry: QueueEntry): (HTMLElement | string)[] {
  const waited = entry.since === undefined ? '' : ` · ${duration(Date.now() - entry.since)}`;
  if (entry.leaseId === undefined) return [h('span', { class: 'muted' }, 'another app'), waited];
  return [
    ...(entry.app === undefined ? [] : [appBadge(entry.app), ' ']),
    entry.owner ?? 'no owner',
    ' ',
    shortId(entry.leaseId),
    waited,
  ];
}

/** The lease table, or why there is none. */
export function leasesPanel(overview: Overview, elapsedMs: number): HTMLElement {
  if (!overview.leases) return h('div', { class: 'empty' }, 'This store cannot list its leases.');
  const admin = overview.caller.role === 'admin';
  const head = [...(admin ? ['app'] : []), 'lease', 'owner', 'ttl', 'time left', 'locks', 'keys'];
  const names = (list: string[]) =>
    list.length === 0
      ? '—'
      : h(
          'div',
          { class: 'chips' },
          list.map((n) => h('span', { class: 'chip mono' }, n)),
        );
  const rows = overview.leases.map((lease: LeaseRow) =>
    h(
      'tr',
      { 'data-lease': lease.id },
      admin ? h('td', {}, appBadge(lease.app)) : null,
      h('td', {}, shortId(lease.id)),
      h('td', {}, lease.owner ?? '—'),
      h('td', { class: 'num' }, duration(lease.ttlMs)),
      h('td', { class: 'num' }, duration(lease.remainingMs - elapsedMs)),
      h('td', { class: 'locks' }, names(lease.locks)),
      h('td', {}, names(lease.keys)),
    ),
  );
  return table(head, rows, admin ? 'No live leases in this store.' : 'Your app has no live leases here.');
}

/** Each store with its health and capabilities. */
export function storesPanel(
  stores: StoreSummary[],
  health: Record<string, boolean> | undefined,
): HTMLElement {
  const rows = stores.map((store) => {
    const ok = health?.[store.name];
    return h(
      'tr',
      { 'data-store': store.name },
      h('td', {}, h('div', { class: 'name' }, store.name), h('div', { class: 'muted mono' }, store.type)),
      h(
        'td',
        {},
        ok === undefined
          ? h('span', { class: 'badge' }, 'unknown')
          : h('span', { class: ok ? 'badge ok' : 'badge bad' }, ok ? 'healthy' : 'unreachable'),
      ),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'chips' },
          store.capabilities.map((c) => h('span', { class: 'chip' }, c)),
        ),
      ),
    );
  });
  return table(['store', 'health', 'capabilities'], rows, 'No stores are configured.');
}

/** What a permit event's grant weighs: ` · 2 permits`, ` · read`; '' for other events. */
function weighs(event: FeedEvent): string {
  if (event.mode !== undefined) return ` · ${event.mode}`;
  if (event.permits !== undefined) return ` · ${event.permits} permit${event.permits === 1 ? '' : 's'}`;
  return '';
}

/** One line of the event feed. */
export function eventLine(event: FeedEvent, at: Date): HTMLElement {
  const kind = event.type.split('.').pop() ?? event.type;
  const who = event.app ?? event.space;
  return h(
    'div',
    { class: 'event', 'data-type': event.type },
    h('span', { class: 'muted mono' }, at.toLocaleTimeString([], { hour12: false })),
    h('span', { class: `type ${kind}` }, event.type),
    h(
      'span',
      {},
      who === undefined ? null : [appBadge(who), ' '],
      h('span', { class: 'mono' }, event.type === 'lease.expired' ? shortId(event.key) : event.key),
      event.fencingToken === undefined
        ? null
        : h('span', { class: 'muted' }, ` · token ${event.fencingToken}`),
      h('span', { class: 'muted' }, weighs(event)),
    ),
  );
}
