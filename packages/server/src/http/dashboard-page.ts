/**
 * The dashboard: one self-contained page (no build step, no external assets). It reads the native
 * API with the token the user types (kept in sessionStorage, sent as a header, never in a URL) and
 * refreshes live from the watch stream.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Leasehold</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1d2430; background: #f6f7f9; }
  body { margin: 0; }
  header { display: flex; gap: 1rem; align-items: center; padding: .8rem 1.2rem; background: #1d2430; color: #fff; }
  header h1 { font-size: 1.1rem; margin: 0; }
  header .grow { flex: 1; }
  header input, header select { padding: .3rem .5rem; border-radius: 4px; border: 0; }
  main { padding: 1rem 1.2rem; }
  table { width: 100%; border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0002; }
  th, td { text-align: left; padding: .45rem .7rem; border-bottom: 1px solid #e4e7ec; font-size: .9rem; }
  th { background: #eef1f5; font-weight: 600; }
  td.num { font-variant-numeric: tabular-nums; }
  .status { font-size: .85rem; color: #5b6575; margin: .5rem 0 1rem; }
  .live { color: #0a7d38; } .down { color: #b42318; }
  .empty { padding: 1rem; color: #5b6575; background: #fff; }
</style>
</head>
<body>
<header>
  <h1>Leasehold</h1>
  <label>store <select id="store"></select></label>
  <span class="grow"></span>
  <label>token <input id="token" type="password" placeholder="API token (if any)" size="18"></label>
</header>
<main>
  <div class="status" id="status">loading…</div>
  <table id="locks">
    <thead><tr><th>lock</th><th>holder (lease)</th><th>owner</th><th>fencing token</th><th>age</th><th>time left</th><th>waiters</th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="empty" id="empty" hidden>No locks are held.</div>
</main>
<script>
const $ = (id) => document.getElementById(id);
const tokenInput = $('token');
tokenInput.value = sessionStorage.getItem('leasehold-token') || '';
const headers = () => (tokenInput.value ? { 'dapr-api-token': tokenInput.value } : {});
let watchAbort;
let refreshTimer;

async function api(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw new Error(response.status + ' ' + (await response.text()));
  return response.json();
}
const fmt = (ms) => (ms === undefined ? '—' : ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s');
function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

async function loadStores() {
  try {
    const { stores } = await api('/v1/stores');
    const select = $('store');
    const current = select.value;
    select.replaceChildren(...stores.map((s) => Object.assign(document.createElement('option'), { value: s.name, textContent: s.name + ' (' + s.type + ')' })));
    if (current) select.value = current;
    await refresh();
    watch();
  } catch (error) {
    $('status').textContent = 'cannot list stores: ' + error.message;
    $('status').className = 'status down';
  }
}

async function refresh() {
  const store = $('store').value;
  if (!store) return;
  const { locks } = await api('/v1/' + encodeURIComponent(store) + '/locks?prefix=');
  const now = Date.now();
  $('locks').tBodies[0].replaceChildren(...locks.map((l) => {
    const tr = document.createElement('tr');
    tr.append(cell(l.name), cell(l.leaseId || '—'), cell(l.owner || '—'), cell(String(l.fencingToken), 'num'),
      cell(fmt(l.acquiredAt ? now - l.acquiredAt : undefined), 'num'), cell(fmt(l.expiresInMs), 'num'), cell(String(l.waiters), 'num'));
    return tr;
  }));
  $('empty').hidden = locks.length > 0;
}

async function watch() {
  watchAbort?.abort();
  watchAbort = new AbortController();
  const store = $('store').value;
  try {
    const response = await fetch('/v1/' + encodeURIComponent(store) + '/watch?prefix=', { headers: headers(), signal: watchAbort.signal });
    if (!response.ok) throw new Error(String(response.status));
    $('status').textContent = 'live: updates as locks change';
    $('status').className = 'status live';
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (decoder.decode(value).includes('event: lock.')) {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(refresh, 100);
      }
    }
  } catch (error) {
    if (error.name === 'AbortError') return;
  }
  $('status').textContent = 'disconnected; retrying…';
  $('status').className = 'status down';
  setTimeout(watch, 2000);
}

tokenInput.addEventListener('change', () => { sessionStorage.setItem('leasehold-token', tokenInput.value); loadStores(); });
$('store').addEventListener('change', () => { refresh(); watch(); });
setInterval(() => refresh().catch(() => {}), 1000);
loadStores();
</script>
</body>
</html>
`;
