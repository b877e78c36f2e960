import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { getJson, postJson } from './support/server-process.js';

let server: RunningServer;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leasehold-native-'));
  server = await startServer(
    { port: 0, grpcPort: 0, dataDir: dir, componentsPath: join(dir, 'none'), minTtlMs: 100 },
    pino({ level: 'silent' }),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const api = (path: string) => `${server.url}/v1/lockstore${path}`;
const send = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(api(path), {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
};

describe('native lease and lock API', () => {
  it('a 1 s lease kept alive for 3 s still holds its lock', async () => {
    const lease = await postJson(api('/leases'), { ttlMs: 1_000 });
    expect(lease.body).toMatchObject({ ttlMs: 1_000 });
    expect(
      (await postJson(api('/locks/acquire'), { name: 'kept', leaseId: lease.body.id })).body.acquired,
    ).toBe(true);
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 300));
      expect((await postJson(api(`/leases/${lease.body.id}/keepalive`), {})).status).toBe(200);
    }
    const info = await getJson(api('/locks?name=kept'));
    expect(info.body).toMatchObject({ held: true, leaseId: lease.body.id });
    expect(info.body.expiresInMs).toBeGreaterThan(0);
  });

  it('describes, lists and checks locks, and revokes leases idempotently', async () => {
    const lease = await postJson(api('/leases'), { ttlMs: 30_000, owner: 'lister' });
    const a = await postJson(api('/locks/acquire'), { name: 'list/a', leaseId: lease.body.id });
    await postJson(api('/locks/acquire'), { name: 'list/b', leaseId: lease.body.id });
    const listed = await getJson(api('/locks?prefix=list/'));
    expect((listed.body.locks as { name: string }[]).map((l) => l.name)).toEqual(['list/a', 'list/b']);
    const detail = await getJson(api(`/leases/${lease.body.id}`));
    expect(detail.body).toMatchObject({ owner: 'lister', locks: ['list/a', 'list/b'], keys: [] });
    expect((await getJson(api(`/locks/check?name=list/a&token=${a.body.fencingToken}`))).body).toEqual({
      valid: true,
    });
    expect((await send('DELETE', `/leases/${lease.body.id}`)).body).toEqual({ revoked: true });
    expect((await send('DELETE', `/leases/${lease.body.id}`)).body).toEqual({ revoked: false });
    expect((await getJson(api(`/locks/check?name=list/a&token=${a.body.fencingToken}`))).body).toEqual({
      valid: false,
    });
    const gone = await postJson(api(`/leases/${lease.body.id}/keepalive`), {});
    expect(gone).toMatchObject({ status: 404, body: { errorCode: 'LEASE_NOT_FOUND' } });
  });

  it('fences KV writes: a stale token gets 409 FENCED and changes nothing', async () => {
    const first = await postJson(api('/leases'), { ttlMs: 30_000 });
    const t1 = (await postJson(api('/locks/acquire'), { name: 'job', leaseId: first.body.id })).body
      .fencingToken;
    expect(
      (await send('PUT', '/kv', { key: 'job:1', value: 'a', fence: { lock: 'job', token: t1 } })).status,
    ).toBe(200);
    await send('DELETE', `/leases/${first.body.id}`);
    const second = await postJson(api('/leases'), { ttlMs: 30_000 });
    await postJson(api('/locks/acquire'), { name: 'job', leaseId: second.body.id });
    const stale = await send('PUT', '/kv', {
      key: 'job:1',
      value: 'late',
      fence: { lock: 'job', token: t1 },
    });
    expect(stale).toMatchObject({ status: 409, body: { errorCode: 'FENCED' } });
    expect((await getJson(api('/kv?key=job:1'))).body).toMatchObject({
      key: 'job:1',
      value: 'a',
      version: 1,
    });
  });

  it('force-releases as admin (no tokens configured means the loopback caller is admin)', async () => {
    const lease = await postJson(api('/leases'), { ttlMs: 30_000 });
    await postJson(api('/locks/acquire'), { name: 'stuck', leaseId: lease.body.id });
    expect((await postJson(api('/locks/force-release'), { name: 'stuck' })).body).toEqual({ released: true });
    expect((await getJson(api('/locks?name=stuck'))).body.held).toBe(false);
    expect((await getJson(`${server.url}/v1/stores`)).body).toEqual({
      stores: [
        { name: 'lockstore', type: 'lock.sqlite', capabilities: expect.arrayContaining(['describeQueue']) },
      ],
    });
  });

  it('lists live leases with their lock names (admin)', async () => {
    const lease = await postJson(api('/leases'), { ttlMs: 30_000, owner: 'listed' });
    await postJson(api('/locks/acquire'), { name: 'listed/lock', leaseId: lease.body.id });
    const listed = await getJson(api('/leases'));
    expect(listed.status).toBe(200);
    const mine = (listed.body.leases as { id: string }[]).find((l) => l.id === lease.body.id);
    expect(mine).toMatchObject({ owner: 'listed', ttlMs: 30_000, locks: ['listed/lock'], keys: [] });
  });

  it('counts', async () => {
    expect((await postJson(api('/counters/add'), { name: 'n', delta: 2 })).body).toEqual({ value: 2 });
    expect((await send('PUT', '/counters', { name: 'n', value: 10 })).body).toEqual({ value: 10 });
    expect((await getJson(api('/counters?name=n'))).body).toEqual({ name: 'n', value: 10 });
  });

  describe('bad input gets a 4xx naming the field and the limit, and changes nothing', () => {
    const cases: [string, () => Promise<{ status: number; body: any }>, number, string, RegExp][] = [
      [
        'ttlMs below the floor',
        () => postJson(api('/leases'), { ttlMs: 50 }),
        400,
        'INVALID_ARGUMENT',
        /ttlMs.*100/,
      ],
      [
        'ttlMs above a year',
        () => postJson(api('/leases'), { ttlMs: 31_536_000_001 }),
        400,
        'INVALID_ARGUMENT',
        /ttlMs.*31536000000/,
      ],
      [
        'ttlMs not a number',
        () => postJson(api('/leases'), { ttlMs: '5s' }),
        400,
        'INVALID_ARGUMENT',
        /ttlMs.*integer/,
      ],
      [
        'owner too long',
        () => postJson(api('/leases'), { ttlMs: 5_000, owner: 'o'.repeat(257) }),
        400,
        'INVALID_ARGUMENT',
        /owner.*256/,
      ],
      ['invalid JSON', () => postJson(api('/leases'), '{'), 400, 'INVALID_ARGUMENT', /body/],
      [
        'name missing',
        () => postJson(api('/locks/acquire'), { leaseId: 'x' }),
        400,
        'INVALID_ARGUMENT',
        /name/,
      ],
      [
        'name too long',
        () => postJson(api('/locks/acquire'), { name: 'n'.repeat(1025), leaseId: 'x' }),
        400,
        'INVALID_ARGUMENT',
        /name.*1024/,
      ],
      [
        'name with ||',
        () => postJson(api('/locks/acquire'), { name: 'a||b', leaseId: 'x' }),
        400,
        'INVALID_ARGUMENT',
        /name.*\|\|/,
      ],
      [
        'a lone surrogate in a name (a JSON escape in valid UTF-8)',
        () => postJson(api('/locks/acquire'), '{"name":"a\\ud800","leaseId":"x"}'),
        400,
        'INVALID_ARGUMENT',
        /name: must be well-formed Unicode/,
      ],
      [
        'a lone surrogate in an owner',
        () => postJson(api('/leases'), { ttlMs: 5_000, owner: '\udfff' }),
        400,
        'INVALID_ARGUMENT',
        /owner: must be well-formed Unicode/,
      ],
      [
        'a lone surrogate in a key',
        () => send('PUT', '/kv', { key: '\ud800', value: 'v' }),
        400,
        'INVALID_ARGUMENT',
        /key: must be well-formed Unicode/,
      ],
      [
        'a lone surrogate in a value',
        () => send('PUT', '/kv', { key: 'k', value: 'v\ud800' }),
        400,
        'INVALID_ARGUMENT',
        /value: must be well-formed Unicode/,
      ],
      [
        'a lone surrogate in a prefix',
        () => getJson(api(`/locks?prefix=${encodeURIComponent('a')}%ED%A0%80`)),
        400,
        'INVALID_ARGUMENT',
        /prefix/,
      ],
      [
        'waitMs too long',
        () => postJson(api('/locks/acquire'), { name: 'n', leaseId: 'x', waitMs: 600_001 }),
        400,
        'INVALID_ARGUMENT',
        /waitMs.*600000/,
      ],
      [
        'unknown lease',
        () => postJson(api('/locks/acquire'), { name: 'n', leaseId: 'nope' }),
        404,
        'LEASE_NOT_FOUND',
        /leaseId/,
      ],
      [
        "a 128-byte lease id in a path: our answer, not the router's",
        () => postJson(api(`/leases/${'a'.repeat(128)}/keepalive`), {}),
        404,
        'LEASE_NOT_FOUND',
        /leaseId/,
      ],
      [
        'a lease id in a path over 128 bytes',
        () => getJson(api(`/leases/${'a'.repeat(129)}`)),
        400,
        'INVALID_ARGUMENT',
        /leaseId.*128/,
      ],
      [
        'unknown store',
        () => postJson(`${server.url}/v1/nostore/leases`, { ttlMs: 5_000 }),
        404,
        'STORE_NOT_FOUND',
        /store/,
      ],
      [
        'a KV value over the limit',
        () => send('PUT', '/kv', { key: 'big', value: 'v'.repeat(1_100_000) }),
        413,
        'PAYLOAD_TOO_LARGE',
        /1048576/,
      ],
      [
        'a lock body over 64 KiB',
        () => postJson(api('/leases'), { ttlMs: 5_000, pad: 'x'.repeat(70_000) }),
        413,
        'PAYLOAD_TOO_LARGE',
        /65536/,
      ],
      ['a missing key', () => getJson(api('/kv?key=absent')), 404, 'KEY_NOT_FOUND', /absent/],
      ['an unknown route', () => getJson(`${server.url}/v1/lockstore/nothing`), 404, 'NOT_FOUND', /nothing/],
    ];
    it.each(cases)('%s', async (_name, call, status, code, message) => {
      const res = await call();
      expect(res.status).toBe(status);
      expect(res.body.errorCode).toBe(code);
      expect(res.body.message).toMatch(message);
    });
  });
});

describe('watch over Server-Sent Events', () => {
  async function collect(
    url: string,
    headers: Record<string, string>,
    count: number,
    during: () => Promise<void>,
  ) {
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.getReader();
    const events: { id: number; type: string; data: any }[] = [];
    let buffer = '';
    const reading = (async () => {
      while (events.length < count) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += new TextDecoder().decode(value);
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
          );
          if (fields.data)
            events.push({ id: Number(fields.id), type: fields.event ?? '', data: JSON.parse(fields.data) });
        }
      }
    })();
    await during();
    await Promise.race([reading, new Promise((r) => setTimeout(r, 3_000))]);
    controller.abort();
    return events;
  }

  it('streams puts, deletes and lock events under a prefix, and resumes from Last-Event-ID', async () => {
    const url = api('/watch?prefix=w/');
    const events = await collect(url, {}, 4, async () => {
      await new Promise((r) => setTimeout(r, 50));
      const lease = await postJson(api('/leases'), { ttlMs: 30_000 });
      await send('PUT', '/kv', { key: 'w/a', value: '1' });
      await send('PUT', '/kv', { key: 'other', value: 'ignored' });
      await postJson(api('/locks/acquire'), { name: 'w/lock', leaseId: lease.body.id });
      await send('DELETE', `/leases/${lease.body.id}`);
      await send('DELETE', '/kv?key=w/a');
    });
    expect(events.map((e) => [e.type, e.data.key])).toEqual([
      ['put', 'w/a'],
      ['lock.acquired', 'w/lock'],
      ['lock.released', 'w/lock'],
      ['delete', 'w/a'],
    ]);
    const resumed = await collect(url, { 'last-event-id': String(events[1]!.id) }, 2, () =>
      Promise.resolve(),
    );
    expect(resumed.map((e) => e.type)).toEqual(['lock.released', 'delete']);
  });

  it('rejects a bad prefix before streaming', async () => {
    const res = await getJson(api(`/watch?prefix=${'p'.repeat(1100)}`));
    expect(res).toMatchObject({ status: 400, body: { errorCode: 'INVALID_ARGUMENT' } });
  });
});

describe('metrics', () => {
  it('exposes Prometheus counters for requests and gauges for leases and locks', async () => {
    await postJson(api('/leases'), { ttlMs: 30_000 });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(
      /leasehold_http_requests_total\{route="\/v1\/:store\/leases",method="POST",status="200"\} \d+/,
    );
    expect(text).toMatch(/leasehold_leases\{store="lockstore"\} [1-9]\d*/);
    expect(text).toMatch(/leasehold_locks_held\{store="lockstore"\} \d+/);
  });
});

describe('operator console', () => {
  it('serves the page at /ui without a token (its data needs one; see ui.test.ts)', async () => {
    const res = await fetch(`${server.url}/ui`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<title>Leasehold console</title>');
    expect(html).toContain('src="/ui/console.js"');
  });
});

describe('the native semaphore routes, from the op table', () => {
  it('answer grants and refusals as values, and mistakes with their statuses and codes', async () => {
    const lease = (await send('POST', '/leases', { ttlMs: 30_000 })).body.id as string;
    const other = (await send('POST', '/leases', { ttlMs: 30_000 })).body.id as string;
    const grant = await send('POST', '/semaphores/acquire', {
      name: 'h',
      leaseId: lease,
      limit: 2,
      permits: 2,
    });
    expect(grant).toEqual({
      status: 200,
      body: { acquired: true, fencingToken: expect.any(Number), permits: 2 },
    });
    const refused = await send('POST', '/semaphores/acquire', { name: 'h', leaseId: other });
    expect(refused.body).toEqual({ acquired: false, available: 0, waiters: 0 });
    const mismatch = await send('POST', '/semaphores/acquire', { name: 'h', leaseId: other, limit: 3 });
    expect(mismatch).toMatchObject({ status: 409, body: { errorCode: 'LIMIT_MISMATCH' } });
    const tooMany = await send('POST', '/semaphores/acquire', { name: 'h', leaseId: other, limit: 70_000 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/^limit: must be between 1 and 65535/);
    const missing = await send('GET', '/semaphores?name=nobody');
    expect(missing).toMatchObject({ status: 404, body: { errorCode: 'NOT_FOUND' } });
    expect((await send('GET', '/semaphores?prefix=h')).body.semaphores).toHaveLength(1);
    const token = grant.body.fencingToken as number;
    expect((await send('GET', `/semaphores/check?name=h&token=${token}`)).body).toEqual({ valid: true });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('leasehold_permits_held{store="lockstore"} 2');
    expect(metrics).toMatch(
      /leasehold_store_operation_duration_seconds_count\{store="lockstore",op="checkSemaphore"\} 1/,
    );
    const resized = await send('PUT', '/semaphores', { name: 'h', limit: 3, ifLimit: 2 });
    expect(resized.body).toMatchObject({ name: 'h', limit: 3, used: 2 });
    expect((await send('POST', '/semaphores/release', { name: 'h', leaseId: lease })).body).toEqual({
      status: 'released',
    });
  });
});

describe('the native read/write lock routes, from the op table', () => {
  it('answer grants and refusals as values, an upgrade 409 MODE_CONFLICT, a bad mode 400', async () => {
    const lease = (await send('POST', '/leases', { ttlMs: 30_000 })).body.id as string;
    const other = (await send('POST', '/leases', { ttlMs: 30_000 })).body.id as string;
    const read = await send('POST', '/rwlocks/acquire', { name: 'rw', leaseId: lease, mode: 'read' });
    expect(read).toEqual({
      status: 200,
      body: { acquired: true, mode: 'read', fencingToken: expect.any(Number) },
    });
    const refused = await send('POST', '/rwlocks/acquire', { name: 'rw', leaseId: other, mode: 'write' });
    expect(refused.body).toEqual({ acquired: false, mode: 'read', waiters: 0 });
    const upgrade = await send('POST', '/rwlocks/acquire', { name: 'rw', leaseId: lease, mode: 'write' });
    expect(upgrade).toMatchObject({ status: 409, body: { errorCode: 'MODE_CONFLICT' } });
    const bad = await send('POST', '/rwlocks/acquire', { name: 'rw', leaseId: lease, mode: 'both' });
    expect(bad).toMatchObject({ status: 400, body: { errorCode: 'INVALID_ARGUMENT' } });
    expect(await send('GET', '/rwlocks?name=nobody')).toMatchObject({ status: 404 });
    expect((await send('GET', '/rwlocks?prefix=rw')).body.rwlocks).toHaveLength(1);
    const token = read.body.fencingToken as number;
    expect((await send('GET', `/rwlocks/check?name=rw&token=${token}`)).body).toEqual({ valid: true });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /leasehold_store_operation_duration_seconds_count\{store="lockstore",op="checkRwLock"\} 1/,
    );
    expect((await send('POST', '/rwlocks/release', { name: 'rw', leaseId: lease })).body).toEqual({
      status: 'released',
    });
  });
});

describe('the native multi-lock routes, from the op table', () => {
  const grantLease = async () => (await postJson(api('/leases'), { ttlMs: 30_000 })).body.id as string;
  const waiters = async (name: string) => (await getJson(api(`/locks?name=${name}`))).body.waiters as number;

  it('takes a set all at once, names the holders on a refusal, and releases with a status per name', async () => {
    const [a, b] = [await grantLease(), await grantLease()];
    const taken = await postJson(api('/locks/acquire-all'), { names: ['h/x', 'h/y'], leaseId: a });
    expect(taken).toEqual({
      status: 200,
      body: { acquired: true, fencingTokens: { 'h/x': expect.any(Number), 'h/y': expect.any(Number) } },
    });
    const refused = await postJson(api('/locks/acquire-all'), { names: ['h/z', 'h/y'], leaseId: b });
    expect(refused.body).toEqual({
      acquired: false,
      holders: {
        'h/y': { leaseId: a, app: expect.any(String), fencingToken: taken.body.fencingTokens['h/y'] },
      },
    });
    expect((await getJson(api('/locks?name=h/z'))).body.held).toBe(false);
    const released = await postJson(api('/locks/release-all'), { names: ['h/x', 'h/y', 'h/z'], leaseId: a });
    expect(released.body).toEqual({ statuses: { 'h/x': 'released', 'h/y': 'released', 'h/z': 'not_held' } });
  });

  it('a waiting acquire-all is granted when the last blocker goes, and a dropped one leaves every queue', async () => {
    const [holder, w, gone] = [await grantLease(), await grantLease(), await grantLease()];
    await postJson(api('/locks/acquire'), { name: 'w/b', leaseId: holder });
    const abort = new AbortController();
    const dropped = postJson(
      api('/locks/acquire-all'),
      { names: ['w/a', 'w/b'], leaseId: gone, waitMs: 30_000 },
      { signal: abort.signal },
    ).catch((error: unknown) => error);
    while ((await waiters('w/a')) === 0) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await dropped;
    while ((await waiters('w/a')) > 0) await new Promise((r) => setTimeout(r, 10));
    expect(await waiters('w/b')).toBe(0);
    const waiting = postJson(api('/locks/acquire-all'), {
      names: ['w/a', 'w/b'],
      leaseId: w,
      waitMs: 10_000,
    });
    while ((await waiters('w/b')) === 0) await new Promise((r) => setTimeout(r, 10));
    expect((await getJson(api('/locks?name=w/a'))).body.held).toBe(false);
    await postJson(api('/locks/release'), { name: 'w/b', leaseId: holder });
    expect((await waiting).body).toMatchObject({ acquired: true });
    expect((await getJson(api('/locks?name=w/a'))).body.leaseId).toBe(w);
  });

  it.each([
    ['names missing', { leaseId: 'x' }, /^names: must be an array/],
    ['no names', { names: [], leaseId: 'x' }, /^names: must name at least 1 lock/],
    ['65 names', { names: Array.from({ length: 65 }, (_, i) => `n${i}`), leaseId: 'x' }, /at most 64/],
    ['a bad name', { names: ['ok', 'a||b'], leaseId: 'x' }, /^names\[1\]: must not contain/],
    [
      'waitMs too long',
      { names: ['ok'], leaseId: 'x', waitMs: 600_001 },
      /^waitMs: must be between 0 and 600000/,
    ],
  ])('%s is a 400 naming the field and the limit', async (_label, body, message) => {
    const res = await postJson(api('/locks/acquire-all'), body);
    expect(res.status).toBe(400);
    expect(res.body.errorCode).toBe('INVALID_ARGUMENT');
    expect(res.body.message).toMatch(message);
  });

  it('an unknown lease is a 404 LEASE_NOT_FOUND, and takes nothing', async () => {
    const res = await postJson(api('/locks/acquire-all'), { names: ['u/a'], leaseId: 'no-such-lease' });
    expect(res).toMatchObject({ status: 404, body: { errorCode: 'LEASE_NOT_FOUND' } });
    expect((await getJson(api('/locks?name=u/a'))).body.held).toBe(false);
  });
});
