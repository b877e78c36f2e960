import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { describeWithBackend } from './support/backends.js';
import { REPO_ROOT } from './support/server-process.js';
import type { Tenant, TenantServer } from './support/tenants.js';
import { TOKENS, startTenantServer } from './support/tenants.js';

/** Screenshots land here (git-ignored), one per view, for people to look at. */
const ARTIFACTS = join(REPO_ROOT, 'artifacts');
const SOLO_TOKEN = 'the-one-token';

/** Polls until the page catches up: it refreshes on events and every two seconds. */
const soon = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 10_000 });

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`console screenshot: ${path}`);
}

/** Opens the console and connects with `token`. */
async function connect(browser: Browser, url: string, token: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1480, height: 900 } });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${url}/ui`);
  await page.fill('#token', token);
  await page.click('#login button[type=submit]');
  return page;
}

describeWithBackend('chromium', 'the operator console at /ui, in a real browser', (chromiumPath) => {
  let browser: Browser;
  let tenants: TenantServer;
  let solo: RunningServer;
  const waits: Promise<unknown>[] = [];

  /** A lease of `tenant` on `lockstore`, holding `name` or queued for it (not awaited). */
  async function hold(tenant: Tenant, owner: string, name: string, waitMs = 0) {
    const lease = await tenants.http(tenant, 'POST', '/v1/lockstore/leases', { ttlMs: 120_000, owner });
    const acquire = tenants.http(tenant, 'POST', '/v1/lockstore/locks/acquire', {
      name,
      leaseId: lease.body.id,
      waitMs,
    });
    if (waitMs === 0) expect((await acquire).body.acquired).toBe(true);
    else waits.push(acquire.catch(() => undefined));
    return { id: lease.body.id as string, acquire };
  }

  /** Waits until the lock's queue on the server holds `length` waiters. */
  async function queued(tenant: Tenant, name: string, length: number): Promise<void> {
    await soon(async () => {
      const reply = await tenants.http(tenant, 'GET', `/v1/lockstore/locks/queue?name=${name}`);
      return reply.body.waiters.length;
    }).toBe(length);
  }

  beforeAll(async () => {
    // The console's script is bundled by `npm run build`; build it here so the test sees this source.
    execFileSync(process.execPath, ['packages/server/scripts/build-console.mjs'], { cwd: REPO_ROOT });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    tenants = await startTenantServer('lock.memory', {});
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-ui-'));
    solo = await startServer({
      port: 0,
      grpcPort: 0,
      dataDir: join(dir, 'data'),
      componentsPath: join(dir, 'no-components'),
      apiToken: SOLO_TOKEN,
      appId: 'checkout',
      logLevel: 'warn',
    });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([tenants?.close(), solo?.close()]);
    await Promise.all(waits);
  });

  it('shows the admin every app’s locks live, labelled by app, with waiters in order, events, and force-release', async () => {
    const page = await connect(browser, tenants.server.url, TOKENS.ops);
    await soon(() => page.textContent('#who')).toContain('admin');
    await soon(() => page.textContent('#live-text')).toBe('live · every app');

    const holder = await hold('orders', 'orders-worker-1', 'invoice/42');
    await hold('billing', 'billing-cron', 'ledger/close');
    const first = await hold('orders', 'orders-worker-2', 'invoice/42', 60_000);
    await queued('orders', 'invoice/42', 1);
    await hold('orders', 'orders-worker-3', 'invoice/42', 60_000);
    await queued('orders', 'invoice/42', 2);

    const invoice = page.locator('tr[data-lock="invoice/42"][data-app="orders"]');
    const ledger = page.locator('tr[data-lock="ledger/close"][data-app="billing"]');
    await invoice.waitFor();
    await ledger.waitFor();
    expect(await invoice.locator('td').first().textContent()).toBe('orders');
    expect(await ledger.locator('td').first().textContent()).toBe('billing');
    expect(await invoice.textContent()).toContain('orders-worker-1');
    await soon(() => invoice.locator('.queue li').allTextContents()).toEqual([
      expect.stringContaining('orders-worker-2'),
      expect.stringContaining('orders-worker-3'),
    ]);
    // The admin's lease list shows each app's lease with its locks.
    const lease = page.locator(`tr[data-lease="${holder.id}"]`);
    await lease.waitFor();
    expect(await lease.locator('td.locks').textContent()).toBe('invoice/42');
    // The live feed received the grants of both apps.
    await soon(() => page.locator('.event[data-type="lock.acquired"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#events').textContent()).toContain('ledger/close');
    // Store health and capabilities.
    await soon(() => page.locator('tr[data-store="lockstore"]').textContent()).toContain('healthy');
    expect(await page.locator('tr[data-store="lockstore"]').textContent()).toContain('describeQueue');
    // Rates from the server's own counters, once two scrapes are in.
    await soon(() => page.locator('.stat svg').count()).toBe(3);
    await screenshot(page, 'console-admin.png');

    // Cancelling the confirmation changes nothing; confirming hands the lock to the head waiter.
    await invoice.locator('button.danger').click();
    await page.locator('#confirm[open]').waitFor();
    expect(await page.textContent('#confirm-text')).toContain('invoice/42');
    await page.click('#confirm-cancel');
    expect((await tenants.http('orders', 'GET', '/v1/lockstore/locks?name=invoice/42')).body.leaseId).toBe(
      holder.id,
    );
    await invoice.locator('button.danger').click();
    await page.click('#confirm-ok');
    expect((await first.acquire).body.acquired).toBe(true);
    await soon(() => invoice.textContent()).toContain('orders-worker-2');
    await soon(() => invoice.locator('.queue li').count()).toBe(1);
    await soon(() => page.locator('.event[data-type="lock.released"]').count()).toBeGreaterThanOrEqual(1);
    const audit = tenants.logLines.filter((l) => l.op === 'forceRelease');
    expect(audit.length).toBeGreaterThan(0);
    await page.close();
  });

  it('shows an app its own locks and leases only, and no force-release', async () => {
    await hold('billing', 'billing-report', 'report/daily');
    const page = await connect(browser, tenants.server.url, TOKENS.billing);
    await soon(() => page.textContent('#who')).toBe('app billing');
    await page.locator('tr[data-lock="report/daily"]').waitFor();
    await page.locator('tr[data-lock="ledger/close"]').waitFor();
    expect(await page.locator('tr[data-lock="invoice/42"]').count()).toBe(0);
    expect(await page.locator('button.danger').count()).toBe(0);
    const leases = await page.locator('#leases').textContent();
    expect(leases).toContain('billing-report');
    expect(leases).not.toContain('orders-worker');
    await soon(() => page.textContent('#live-text')).toBe('live');
    await hold('billing', 'billing-late', 'report/late');
    await soon(() => page.locator('#events').textContent()).toContain('report/late');
    await page.locator('tr[data-lock="report/late"]').waitFor();
    await screenshot(page, 'console-app.png');
    await page.close();
  });

  it('shows semaphore and read/write lock holders live, and drops them when they let go', async () => {
    const grant = async (owner: string) =>
      (await tenants.http('orders', 'POST', '/v1/lockstore/leases', { ttlMs: 120_000, owner })).body
        .id as string;
    const post = (path: string, body: Record<string, unknown>) =>
      tenants.http('orders', 'POST', `/v1/lockstore/${path}`, body);
    const page = await connect(browser, tenants.server.url, TOKENS.orders);
    await soon(() => page.textContent('#live-text')).toBe('live');

    const worker = await grant('gpu-worker-1');
    const permits = await post('semaphores/acquire', {
      name: 'pool/gpu',
      leaseId: worker,
      limit: 3,
      permits: 2,
    });
    expect(permits.body.acquired).toBe(true);
    const semaphore = page.locator('tr[data-semaphore="pool/gpu"]');
    const permitHolder = semaphore.locator(`li[data-lease="${worker}"]`);
    await permitHolder.waitFor();
    expect(await semaphore.textContent()).toContain('2 / 3');
    expect(await permitHolder.textContent()).toContain('gpu-worker-1');
    expect(await permitHolder.textContent()).toContain('2 permits');
    expect(await permitHolder.textContent()).toContain(`token ${permits.body.fencingToken}`);

    const reader = await grant('config-reader-1');
    const read = await post('rwlocks/acquire', { name: 'config/main', leaseId: reader, mode: 'read' });
    expect(read.body.acquired).toBe(true);
    const rwlock = page.locator('tr[data-rwlock="config/main"]');
    const readHolder = rwlock.locator(`li[data-lease="${reader}"]`);
    await readHolder.waitFor();
    expect(await rwlock.locator('td.mode').textContent()).toBe('read');
    expect(await readHolder.textContent()).toContain('config-reader-1');
    expect(await readHolder.textContent()).toContain(`read · token ${read.body.fencingToken}`);
    // A writer queues behind the reader, and the table says so.
    const writer = await grant('config-writer-1');
    const write = post('rwlocks/acquire', {
      name: 'config/main',
      leaseId: writer,
      mode: 'write',
      waitMs: 60_000,
    });
    waits.push(write.catch(() => undefined));
    await soon(() => rwlock.locator('td.waiters').textContent()).toBe('1 waiting');
    await soon(() => page.locator('.event[data-type="permit.acquired"]').count()).toBeGreaterThanOrEqual(2);
    // The admin sees the same semaphore, labelled with its app.
    const admin = await connect(browser, tenants.server.url, TOKENS.ops);
    await admin.locator('tr[data-semaphore="pool/gpu"][data-app="orders"]').waitFor();
    await screenshot(admin, 'console-pools-admin.png');
    await admin.close();
    await screenshot(page, 'console-pools.png');

    // Letting go takes each holder off the page; the queued writer then shows as the holder.
    expect((await post('semaphores/release', { name: 'pool/gpu', leaseId: worker })).body.status).toBe(
      'released',
    );
    await soon(() => permitHolder.count()).toBe(0);
    expect((await post('rwlocks/release', { name: 'config/main', leaseId: reader })).body.status).toBe(
      'released',
    );
    expect((await write).body).toMatchObject({ acquired: true, mode: 'write' });
    await soon(() => readHolder.count()).toBe(0);
    await soon(() => rwlock.locator('td.mode').textContent()).toBe('write');
    expect(await rwlock.locator(`li[data-lease="${writer}"]`).textContent()).toContain('config-writer-1');
    await soon(() => page.locator('.event[data-type="permit.released"]').count()).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  it('works with the one LEASEHOLD_API_TOKEN: the right token sees its store, a wrong one is told so', async () => {
    const wrong = await connect(browser, solo.url, 'not-the-token');
    await soon(() => wrong.textContent('#notice')).toContain('This token was refused');
    await wrong.close();

    const lease = await fetch(`${solo.url}/v1/lockstore/leases`, {
      method: 'POST',
      headers: { 'dapr-api-token': SOLO_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ ttlMs: 60_000, owner: 'checkout-1' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const page = await connect(browser, solo.url, SOLO_TOKEN);
    await soon(() => page.textContent('#who')).toBe('app checkout');
    expect(await page.locator('#notice').isHidden()).toBe(true);
    await soon(() => page.textContent('#live-text')).toBe('live');
    await fetch(`${solo.url}/v1/lockstore/locks/acquire`, {
      method: 'POST',
      headers: { 'dapr-api-token': SOLO_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cart/7', leaseId: lease.id }),
    });
    await page.locator('tr[data-lock="cart/7"]').waitFor();
    expect(await page.locator('tr[data-lock="cart/7"]').textContent()).toContain('checkout-1');
    await soon(() => page.locator('.event[data-type="lock.acquired"]').count()).toBe(1);
    expect(await page.locator('tr[data-store="lockstore"]').textContent()).toContain('lock.sqlite');
    await screenshot(page, 'console-single-token.png');
    await page.close();
  });
});
