/**
 * The operator console's page: layout and styles only. Its script (`/ui/console.js`, bundled from
 * packages/server/console/) reads the API with the token the user types, kept in sessionStorage
 * and sent as a header, never in a URL.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Leasehold console</title>
<style>
  :root { --ink: #1b2330; --muted: #5d6878; --line: #e3e7ee; --panel: #fff; --bg: #f3f5f8; --accent: #2f6feb;
    --ok: #12805c; --warn: #b25e09; --bad: #c4314b; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
    color: var(--ink); background: var(--bg); }
  * { box-sizing: border-box; }
  body { margin: 0; }
  header { display: flex; gap: 14px; align-items: center; padding: 10px 20px; background: #141b26; color: #e9eef5; }
  header h1 { font-size: 16px; margin: 0; letter-spacing: .02em; }
  header h1 span { color: #8fb3ff; font-weight: 500; }
  header .grow { flex: 1; }
  header label { font-size: 12px; color: #9aa7b8; display: flex; gap: 6px; align-items: center; }
  header input, header select { font: inherit; padding: 5px 8px; border-radius: 6px; border: 1px solid #2c3749; background: #1d2636; color: #e9eef5; }
  header button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 0; background: var(--accent); color: #fff; cursor: pointer; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; background: #e8eefc; color: #1f4fb8; white-space: nowrap; }
  header .badge { background: #24324a; color: #cfe0ff; }
  .badge.admin { background: #fde9d4; color: #8a4100; }
  .badge.ok { background: #ddf3e9; color: var(--ok); } .badge.bad { background: #fbe2e6; color: var(--bad); }
  .dot { width: 8px; height: 8px; border-radius: 50%; display: inline-block; background: #7b8799; margin-right: 6px; }
  .dot.live { background: #35c27f; box-shadow: 0 0 0 3px #35c27f33; } .dot.down { background: var(--bad); }
  main { padding: 16px 20px 28px; display: grid; grid-template-columns: minmax(0, 1fr) 380px; gap: 16px; }
  .notice { grid-column: 1 / -1; padding: 10px 14px; border-radius: 8px; background: #fff4e0; color: #7a4300; border: 1px solid #f3d19c; }
  .notice.error { background: #fde8eb; color: #8f1d31; border-color: #f3b6c1; }
  .stats { grid-column: 1 / -1; display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; }
  .stat { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; min-height: 76px; }
  .stat .label { font-size: 12px; color: var(--muted); }
  .stat .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .stat .value small { font-size: 12px; color: var(--muted); font-weight: 400; margin-left: 4px; }
  .stat svg { display: block; width: 100%; height: 26px; }
  .stat .absent { font-size: 12px; color: var(--muted); }
  section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; margin-bottom: 16px; }
  section h2 { font-size: 13px; margin: 0; padding: 10px 14px; border-bottom: 1px solid var(--line); display: flex; gap: 8px; align-items: center; }
  section h2 .count { color: var(--muted); font-weight: 400; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; background: #fafbfc; white-space: nowrap; }
  tr:last-child td { border-bottom: 0; }
  td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
  td.mono, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; }
  td.name { font-weight: 600; }
  td.owner { white-space: nowrap; }
  .soon { color: var(--warn); font-weight: 600; }
  .queue { margin: 0; padding-left: 18px; font-size: 12px; }
  .queue li { margin: 1px 0; }
  .holders { margin: 0; padding-left: 0; list-style: none; font-size: 12px; }
  .holders li { margin: 1px 0; white-space: nowrap; }
  .holders .weight { font-weight: 600; }
  .meter { height: 4px; width: 72px; border-radius: 2px; background: var(--line); margin-top: 4px; overflow: hidden; }
  .meter span { display: block; height: 100%; background: var(--accent); }
  td.mode.write { color: var(--bad); font-weight: 600; } td.mode.read { color: var(--ok); font-weight: 600; } td.mode.free { color: var(--muted); }
  .muted { color: var(--muted); }
  .empty { padding: 14px; color: var(--muted); }
  button.danger { white-space: nowrap; font: inherit; font-size: 12px; padding: 3px 10px; border-radius: 6px; border: 1px solid #e8a9b4; background: #fff; color: var(--bad); cursor: pointer; }
  button.danger:hover { background: #fde8eb; }
  .chips { display: flex; flex-wrap: wrap; gap: 4px; }
  .chip { font-size: 11px; padding: 0 6px; border-radius: 4px; background: #eef1f5; color: #3f4a5a; }
  #events { max-height: 460px; overflow: auto; }
  .event { display: grid; grid-template-columns: 64px 112px minmax(0, 1fr); gap: 8px; padding: 6px 12px; border-bottom: 1px solid var(--line); font-size: 12px; }
  .event .type { font-weight: 600; } .event .type.acquired { color: var(--ok); } .event .type.released { color: var(--accent); }
  .event .type.expired { color: var(--bad); } .event .type.put, .event .type.delete { color: #6b4fbb; }
  dialog { border: 0; border-radius: 12px; padding: 20px 22px; max-width: 460px; box-shadow: 0 20px 60px #0004; }
  dialog::backdrop { background: #0f172a66; }
  dialog h3 { margin: 0 0 8px; font-size: 16px; }
  dialog .actions { display: flex; gap: 8px; justify-content: flex-end; margin-top: 16px; }
  dialog button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--line); background: #fff; cursor: pointer; }
  dialog button.confirm { background: var(--bad); border-color: var(--bad); color: #fff; }
  @media (max-width: 1100px) { main { grid-template-columns: 1fr; } .stats { grid-template-columns: repeat(3, 1fr); } }
</style>
</head>
<body>
<header>
  <h1>Leasehold <span>console</span></h1>
  <label>store <select id="store" aria-label="store"></select></label>
  <span id="who" class="badge">not connected</span>
  <span class="grow"></span>
  <span id="live"><span class="dot"></span><span id="live-text">offline</span></span>
  <form id="login" style="display:flex;gap:6px;align-items:center">
    <label>token <input id="token" type="password" placeholder="API token (if any)" size="22" autocomplete="off"></label>
    <button type="submit">Connect</button>
  </form>
</header>
<main>
  <div id="notice" class="notice" hidden></div>
  <div class="stats" id="stats"></div>
  <div>
    <section><h2>Locks <span class="count" id="locks-count"></span></h2><div id="locks"></div></section>
    <section><h2>Semaphores <span class="count" id="semaphores-count"></span></h2><div id="semaphores"></div></section>
    <section><h2>Read/write locks <span class="count" id="rwlocks-count"></span></h2><div id="rwlocks"></div></section>
    <section><h2>Leases <span class="count" id="leases-count"></span></h2><div id="leases"></div></section>
  </div>
  <div>
    <section><h2>Stores</h2><div id="stores"></div></section>
    <section><h2>Events <span class="count" id="events-count"></span></h2><div id="events"><div class="empty">Waiting for events…</div></div></section>
  </div>
</main>
<dialog id="confirm">
  <h3>Force-release this lock?</h3>
  <p id="confirm-text"></p>
  <p class="muted">The holder is not told; its next fenced write fails. Use this for stuck holders only.</p>
  <div class="actions"><button id="confirm-cancel" type="button">Cancel</button><button id="confirm-ok" class="confirm" type="button">Force release</button></div>
</dialog>
<script type="module" src="/ui/console.js"></script>
</body>
</html>
`;
