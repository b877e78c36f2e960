import { Api, ApiError } from './api.js';
import type { LockRow, Overview, StoreSummary } from './api.js';
import { followWatch } from './events.js';
import type { FeedEvent } from './events.js';
import { parseMetrics, ratesBetween, readCounters } from './metrics.js';
import type { Counters } from './metrics.js';
import { eventLine, leasesPanel, locksPanel, storesPanel } from './panels.js';
import { rwlocksPanel, semaphoresPanel } from './pool-panels.js';
import { byId, duration, h, rate, sparkline } from './view.js';

const HISTORY = 60;
const METRICS_EVERY_MS = 2000;
const REFRESH_EVERY_MS = 2000;
const MAX_EVENTS = 150;

const tokenInput = byId<HTMLInputElement>('token');
tokenInput.value = sessionStorage.getItem('leasehold-token') ?? '';
const api = new Api(() => tokenInput.value);

const state = {
  stores: [] as StoreSummary[],
  overview: undefined as Overview | undefined,
  fetchedAt: 0,
  health: undefined as Record<string, boolean> | undefined,
  counters: undefined as { at: number; counters: Counters } | undefined,
  series: { requests: [], acquires: [], waitMs: [] } as Record<
    'requests' | 'acquires' | 'waitMs',
    (number | undefined)[]
  >,
  events: 0,
  stopWatch: undefined as (() => void) | undefined,
  refreshTimer: undefined as number | undefined,
};

function notice(text: string | undefined, kind: 'error' | 'info' = 'error'): void {
  const box = byId('notice');
  box.hidden = text === undefined;
  box.className = kind === 'error' ? 'notice error' : 'notice';
  box.textContent = text ?? '';
}

function explain(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'This token was refused: check it and connect again.';
    return `${error.code ?? `HTTP ${error.status}`}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function setLive(kind: 'live' | 'down' | 'off', text: string): void {
  byId('live').firstElementChild!.className = kind === 'off' ? 'dot' : `dot ${kind}`;
  byId('live-text').textContent = text;
}

const store = () => byId<HTMLSelectElement>('store').value;
const path = (suffix: string) => `/v1/${encodeURIComponent(store())}${suffix}`;

/** Lists the stores the token may use, then shows the chosen one. */
async function connect(): Promise<void> {
  sessionStorage.setItem('leasehold-token', tokenInput.value);
  state.stopWatch?.();
  state.overview = undefined;
  try {
    const { stores } = await api.get<{ stores: StoreSummary[] }>('/v1/stores');
    state.stores = stores;
    const select = byId<HTMLSelectElement>('store');
    const current = select.value;
    select.replaceChildren(...stores.map((s) => h('option', { value: s.name }, `${s.name} (${s.type})`)));
    if (stores.some((s) => s.name === current)) select.value = current;
    notice(undefined);
    await showStore();
  } catch (error) {
    byId('who').textContent = 'not connected';
    setLive('down', 'offline');
    notice(explain(error));
  }
  renderStores();
}

/** Reads the store's overview and follows its events. */
async function showStore(): Promise<void> {
  state.stopWatch?.();
  byId('events').replaceChildren(h('div', { class: 'empty' }, 'Waiting for events…'));
  state.events = 0;
  byId('events-count').textContent = '';
  await refresh();
  const overview = state.overview;
  if (!overview) return;
  const all = overview.caller.role === 'admin';
  state.stopWatch = followWatch(path(all ? '/watch?apps=all' : '/watch?prefix='), () => api.headers(), {
    onEvent: addEvent,
    onState: (s, detail) => {
      if (s === 'live') setLive('live', all ? 'live · every app' : 'live');
      else setLive('down', s === 'refused' ? 'events refused' : 'reconnecting…');
      if (s === 'refused' && detail) notice(`The event feed was refused: ${detail}`);
    },
  });
}

async function refresh(): Promise<void> {
  if (store() === '') return;
  try {
    state.overview = await api.get<Overview>(path('/overview'));
    state.fetchedAt = Date.now();
    const { appId, role } = state.overview.caller;
    const who = byId('who');
    who.textContent = role === 'admin' ? `${appId} · admin (every app)` : `app ${appId}`;
    who.className = role === 'admin' ? 'badge admin' : 'badge';
    renderTables();
  } catch (error) {
    notice(explain(error));
  }
}

function scheduleRefresh(delayMs = 120): void {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = window.setTimeout(() => void refresh(), delayMs);
}

function addEvent(event: FeedEvent): void {
  const feed = byId('events');
  if (state.events === 0) feed.replaceChildren();
  state.events++;
  feed.prepend(eventLine(event, new Date()));
  while (feed.childElementCount > MAX_EVENTS) feed.lastElementChild?.remove();
  byId('events-count').textContent = String(state.events);
  if (event.type !== 'put' && event.type !== 'delete') scheduleRefresh();
}

function renderTables(): void {
  const overview = state.overview;
  if (!overview) return;
  const elapsed = Date.now() - state.fetchedAt;
  const admin = overview.caller.role === 'admin';
  byId('locks').replaceChildren(locksPanel(overview, elapsed, admin ? askForceRelease : undefined));
  byId('leases').replaceChildren(leasesPanel(overview, elapsed));
  byId('semaphores').replaceChildren(semaphoresPanel(overview));
  byId('rwlocks').replaceChildren(rwlocksPanel(overview));
  byId('locks-count').textContent = String(overview.locks.length);
  byId('semaphores-count').textContent = overview.semaphores ? String(overview.semaphores.length) : '';
  byId('rwlocks-count').textContent = overview.rwlocks ? String(overview.rwlocks.length) : '';
  byId('leases-count').textContent = overview.leases ? String(overview.leases.length) : '';
  renderStats();
}

function renderStores(): void {
  byId('stores').replaceChildren(storesPanel(state.stores, state.health));
}

function renderStats(): void {
  const overview = state.overview;
  const last = <T>(list: T[]) => list[list.length - 1];
  const queued = (list: { waiters: number }[] | undefined) =>
    (list ?? []).reduce((sum, item) => sum + item.waiters, 0);
  const waiting = overview && queued(overview.locks) + queued(overview.semaphores) + queued(overview.rwlocks);
  const source = state.counters?.counters.source;
  const card = (label: string, value: string, series?: (number | undefined)[], from?: string) =>
    h(
      'div',
      { class: 'stat' },
      h('div', { class: 'label', title: from === undefined ? undefined : `from ${from}` }, label),
      h('div', { class: 'value' }, value),
      series === undefined
        ? null
        : series.some((v) => v !== undefined)
          ? sparkline(series)
          : h(
              'div',
              { class: 'absent' },
              series.length === 0 ? 'collecting…' : 'not exported by this server',
            ),
    );
  byId('stats').replaceChildren(
    card('Locks held', overview ? String(overview.locks.length) : '—'),
    card('Waiting acquires', waiting === undefined ? '—' : String(waiting)),
    card('Live leases', overview?.leases ? String(overview.leases.length) : '—'),
    card('Requests', rate(last(state.series.requests), '/s'), state.series.requests),
    card('Acquires', rate(last(state.series.acquires), '/s'), state.series.acquires, source?.acquires),
    card('Mean acquire wait', duration(last(state.series.waitMs)), state.series.waitMs, source?.wait),
  );
}

/** Scrapes the server's own counters and store health. */
async function sample(): Promise<void> {
  const [metrics, ready] = await Promise.all([
    fetch('/metrics')
      .then((r) => (r.ok ? r.text() : undefined))
      .catch(() => undefined),
    fetch('/readyz')
      .then((r) => r.json() as Promise<{ stores?: Record<string, boolean> }>)
      .catch(() => undefined),
  ]);
  state.health = ready?.stores;
  renderStores();
  if (metrics === undefined) return;
  const now = Date.now();
  const counters = readCounters(parseMetrics(metrics));
  if (state.counters) {
    const rates = ratesBetween(state.counters.counters, counters, (now - state.counters.at) / 1000);
    for (const key of ['requests', 'acquires', 'waitMs'] as const) {
      state.series[key].push(rates[key]);
      if (state.series[key].length > HISTORY) state.series[key].shift();
    }
  }
  state.counters = { at: now, counters };
  renderStats();
}

function askForceRelease(lock: LockRow): void {
  const dialog = byId<HTMLDialogElement>('confirm');
  const holder = lock.owner ?? lock.leaseId ?? 'unknown holder';
  byId('confirm-text').textContent =
    `Lock "${lock.name}"${lock.app ? ` of app ${lock.app}` : ''} is held by ${holder} (token ${lock.fencingToken ?? '?'}).`;
  byId('confirm-ok').onclick = () => {
    dialog.close();
    void forceRelease(lock);
  };
  byId('confirm-cancel').onclick = () => dialog.close();
  dialog.showModal();
}

async function forceRelease(lock: LockRow): Promise<void> {
  // An admin names a lock in its own key space; on per-app key spaces it acts as the lock's app.
  const actAs = lock.space !== undefined && lock.space === lock.app ? { 'leasehold-app': lock.space } : {};
  try {
    const response = await fetch(path('/locks/force-release'), {
      method: 'POST',
      headers: { ...api.headers(), ...actAs, 'content-type': 'application/json' },
      body: JSON.stringify({ name: lock.name }),
    });
    if (!response.ok) throw ApiError.from(response.status, await response.text());
    const { released } = (await response.json()) as { released: boolean };
    notice(released ? `Released "${lock.name}".` : `"${lock.name}" was already free.`, 'info');
  } catch (error) {
    notice(`Force-release failed: ${explain(error)}`);
  }
  await refresh();
}

byId('login').addEventListener('submit', (event) => {
  event.preventDefault();
  void connect();
});
byId('store').addEventListener('change', () => void showStore());
setInterval(renderTables, 1000);
setInterval(() => void refresh(), REFRESH_EVERY_MS);
setInterval(() => void sample(), METRICS_EVERY_MS);
void sample();
void connect();
