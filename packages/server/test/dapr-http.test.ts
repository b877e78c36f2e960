import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server.js';
import type { RunningServer } from '../src/server.js';
import { DAPR_MESSAGE_CASES, DAPR_NO_STORE_CASES, HTTP_TOKEN_REFUSAL } from './support/dapr-messages.js';
import type { DaprMessageCase } from './support/dapr-messages.js';
import { postJson } from './support/server-process.js';

const quiet = pino({ level: 'silent' });
const lockBody = (over: Record<string, unknown> = {}) => ({
  resourceId: 'my_file_name',
  lockOwner: 'random_id_abc123',
  expiryInSeconds: 60,
  ...over,
});

describe('Dapr HTTP lock API', () => {
  let server: RunningServer;
  let dir: string;
  const lock = (body: unknown, store = 'lockstore') =>
    postJson(`${server.url}/v1.0-alpha1/lock/${store}`, body);
  const unlock = (body: unknown, store = 'lockstore') =>
    postJson(`${server.url}/v1.0-alpha1/unlock/${store}`, body);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-dapr-'));
    server = await startServer(
      { port: 0, grpcPort: 0, dataDir: dir, componentsPath: join(dir, 'none'), minTtlMs: 100 },
      quiet,
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the seed example: lock, contend, unlock by other, by owner, again', async () => {
    const first = await lock(lockBody());
    expect(first.status).toBe(200);
    expect(first.body.success).toBe(true);
    expect(first.body.fencingToken).toBeGreaterThan(0);
    expect(await lock(lockBody({ lockOwner: 'someone_else' }))).toEqual({
      status: 200,
      body: { success: false },
    });
    expect(await unlock({ resourceId: 'my_file_name', lockOwner: 'someone_else' })).toEqual({
      status: 200,
      body: { status: 2 },
    });
    expect(await unlock({ resourceId: 'my_file_name', lockOwner: 'random_id_abc123' })).toEqual({
      status: 200,
      body: { status: 0 },
    });
    expect(await unlock({ resourceId: 'my_file_name', lockOwner: 'random_id_abc123' })).toEqual({
      status: 200,
      body: { status: 1 },
    });
  });

  it('is not re-entrant: the same owner asking again gets false', async () => {
    expect((await lock(lockBody({ resourceId: 'reentry' }))).body.success).toBe(true);
    expect((await lock(lockBody({ resourceId: 'reentry' }))).body).toEqual({ success: false });
  });

  it('decodes bodies like protobuf JSON: proto names, numeric strings, unknown fields', async () => {
    const res = await lock({
      resource_id: 'proto-names',
      lock_owner: 'o',
      expiry_in_seconds: '30',
      extra: [1],
    });
    expect(res.body.success).toBe(true);
    expect((await unlock({ resource_id: 'proto-names', lock_owner: 'o' })).body).toEqual({ status: 0 });
  });

  it('a lock with expiryInSeconds 1 is free for another owner within 1.5 s', async () => {
    expect((await lock(lockBody({ resourceId: 'short', expiryInSeconds: 1 }))).body.success).toBe(true);
    const started = Date.now();
    let success = false;
    while (!success && Date.now() - started < 1_500) {
      success = (await lock(lockBody({ resourceId: 'short', lockOwner: 'next' }))).body.success as boolean;
      if (!success) await new Promise((r) => setTimeout(r, 25));
    }
    const elapsed = Date.now() - started;
    expect(success).toBe(true);
    expect(elapsed).toBeLessThan(1_500);
    expect(elapsed).toBeGreaterThanOrEqual(950);
  });

  describe('errors, in Dapr order', () => {
    const cases: [string, number, string, () => Promise<{ status: number; body: any }>][] = [
      [
        "a body that is not UTF-8 (daprd's decoder refuses it)",
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
      ],
      ['invalid JSON', 400, 'ERR_MALFORMED_REQUEST', () => lock('{"resourceId": ')],
      ['a JSON array', 400, 'ERR_MALFORMED_REQUEST', () => lock('[]')],
      ['a wrongly typed field', 400, 'ERR_MALFORMED_REQUEST', () => lock(lockBody({ resourceId: 5 }))],
      ['a fractional int32', 400, 'ERR_MALFORMED_REQUEST', () => lock(lockBody({ expiryInSeconds: 1.5 }))],
      ['expiryInSeconds 0', 400, 'ERR_MALFORMED_REQUEST', () => lock(lockBody({ expiryInSeconds: 0 }))],
      [
        'expiryInSeconds negative',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock(lockBody({ expiryInSeconds: -5 })),
      ],
      [
        'expiry checked before the store',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock({ resourceId: 'x', lockOwner: 'y' }, 'nostore'),
      ],
      ['empty resourceId', 400, 'ERR_MALFORMED_REQUEST', () => lock(lockBody({ resourceId: '' }))],
      ['empty lockOwner', 400, 'ERR_MALFORMED_REQUEST', () => lock(lockBody({ lockOwner: '' }))],
      [
        'empty fields before unknown store',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock(lockBody({ lockOwner: '' }), 'nostore'),
      ],
      ['unknown store', 400, 'ERR_LOCK_STORE_NOT_FOUND', () => lock(lockBody(), 'nostore')],
      ['a name containing ||', 500, 'ERR_TRY_LOCK', () => lock(lockBody({ resourceId: 'a||b' }))],
      [
        'resourceId over 1024 bytes',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock(lockBody({ resourceId: 'é'.repeat(513) })),
      ],
      [
        'lockOwner over 256 bytes',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock(lockBody({ lockOwner: 'o'.repeat(257) })),
      ],
      [
        'expiryInSeconds past int32',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock(lockBody({ expiryInSeconds: 2 ** 31 })),
      ],
      ['a body over 64 KiB', 400, 'ERR_MALFORMED_REQUEST', () => lock(lockBody({ pad: 'x'.repeat(70_000) }))],
      [
        'a lone surrogate in resourceId (a JSON escape in valid UTF-8)',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock('{"resourceId":"a\\ud800","lockOwner":"o","expiryInSeconds":5}'),
      ],
      [
        'a lone surrogate in lockOwner',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock(lockBody({ lockOwner: '\udc00' })),
      ],
      [
        'unlock: a lone surrogate in resourceId',
        400,
        'ERR_MALFORMED_REQUEST',
        () => unlock({ resourceId: '\ud800', lockOwner: 'o' }),
      ],
      [
        'a surrogate encoded as UTF-8 bytes (not UTF-8)',
        400,
        'ERR_MALFORMED_REQUEST',
        () => lock(Buffer.from([...Buffer.from('{"resourceId":"'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')])),
      ],
      ['unlock: invalid JSON', 400, 'ERR_MALFORMED_REQUEST', () => unlock('nope')],
      ['unlock: empty resourceId', 400, 'ERR_MALFORMED_REQUEST', () => unlock({ lockOwner: 'o' })],
      ['unlock: empty lockOwner', 400, 'ERR_MALFORMED_REQUEST', () => unlock({ resourceId: 'r' })],
      [
        'unlock: unknown store',
        400,
        'ERR_LOCK_STORE_NOT_FOUND',
        () => unlock({ resourceId: 'r', lockOwner: 'o' }, 'nostore'),
      ],
      [
        'unlock: a name containing ||',
        500,
        'ERR_UNLOCK',
        () => unlock({ resourceId: 'a||b', lockOwner: 'o' }),
      ],
    ];
    it.each(cases)('%s → %i %s', async (_name, status, code, call) => {
      const res = await call();
      expect(res.status).toBe(status);
      expect(res.body.errorCode).toBe(code);
      expect(typeof res.body.message).toBe('string');
    });

    it('names the field and the limit it broke', async () => {
      const res = await lock(lockBody({ resourceId: 'r'.repeat(1025) }));
      expect(res.body.message).toMatch(/resourceId.*1024 bytes/);
    });

    it('names the field a lone surrogate is in, as a body that does not decode', async () => {
      const res = await lock(lockBody({ resourceId: 'x\ud800y' }));
      expect(res.body.message).toBe(
        'failed deserializing HTTP body: resourceId: must be well-formed Unicode (no lone surrogates)',
      );
    });

    it("answers a body that does not decode with daprd's words, then the reason", async () => {
      for (const body of ['{"resourceId": ', ' ', '[]', new Uint8Array([0x7b, 0xff, 0x7d])]) {
        const res = await lock(body);
        expect(res).toMatchObject({ status: 400, body: { errorCode: 'ERR_MALFORMED_REQUEST' } });
        expect(res.body.message).toMatch(/^failed deserializing HTTP body: ./);
      }
    });

    it('bad input changes nothing and the server keeps serving', async () => {
      await lock(lockBody({ resourceId: 'untouched', expiryInSeconds: 0 }));
      expect((await unlock({ resourceId: 'untouched', lockOwner: 'random_id_abc123' })).body).toEqual({
        status: 1,
      });
      expect((await lock(lockBody({ resourceId: 'after-errors' }))).body.success).toBe(true);
    });
  });

  describe("daprd's messages, word for word", () => {
    const send = (c: DaprMessageCase) => (c.method === 'lock' ? lock : unlock)(c.request, c.store);

    it.each(DAPR_MESSAGE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      expect(await send(c)).toEqual({
        status: c.httpStatus,
        body: { errorCode: c.errorCode, message: c.message },
      });
    });

    it.each([
      ['lock', 'lockstore', 'ExpiryInSeconds is not positive in lock store lockstore'],
      ['lock', 'nostore', 'ExpiryInSeconds is not positive in lock store nostore'],
      ['unlock', 'lockstore', 'ResourceId is empty in lock store lockstore'],
    ] as const)(
      'an empty %s body to %s is not decoded: the request is all zero values',
      async (method, store, message) => {
        const expected = { status: 400, body: { errorCode: 'ERR_MALFORMED_REQUEST', message } };
        expect(await (method === 'lock' ? lock : unlock)('', store)).toEqual(expected);
        // No content type at all, as curl -X POST sends.
        const bare = await fetch(`${server.url}/v1.0-alpha1/${method}/${store}`, { method: 'POST' });
        expect({ status: bare.status, body: await bare.json() }).toEqual(expected);
      },
    );
  });

  it('takes any positive int32 expiryInSeconds, as daprd does: 2147483647 holds', async () => {
    expect(
      (await lock(lockBody({ resourceId: 'forever', expiryInSeconds: 2_147_483_647 }))).body,
    ).toMatchObject({
      success: true,
    });
    expect((await lock(lockBody({ resourceId: 'forever', lockOwner: 'next' }))).body).toEqual({
      success: false,
    });
    expect((await unlock({ resourceId: 'forever', lockOwner: 'random_id_abc123' })).body).toEqual({
      status: 0,
    });
  });

  it('serves the metadata Dapr SDKs probe, and health without a body', async () => {
    const meta = await fetch(`${server.url}/v1.0/metadata`);
    expect(meta.status).toBe(200);
    expect(await meta.json()).toMatchObject({
      id: 'leasehold',
      components: [{ name: 'lockstore', type: 'lock.sqlite' }],
    });
    const health = await fetch(`${server.url}/v1.0/healthz`);
    expect(health.status).toBe(204);
  });
});

describe('Dapr HTTP lock API: store states', () => {
  it('answers 500 ERR_LOCK_STORE_NOT_CONFIGURED when no lock store is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-nostore-'));
    mkdirSync(join(dir, 'components'));
    writeFileSync(
      join(dir, 'components', 'state.yaml'),
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.redis\n  version: v1\n',
    );
    const server = await startServer(
      { port: 0, grpcPort: 0, dataDir: dir, componentsPath: join(dir, 'components') },
      quiet,
    );
    try {
      for (const c of DAPR_NO_STORE_CASES) {
        expect(await postJson(`${server.url}/v1.0-alpha1/${c.method}/${c.store}`, c.request)).toEqual({
          status: c.httpStatus,
          body: { errorCode: c.errorCode, message: c.message },
        });
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 500 ERR_TRY_LOCK and ERR_UNLOCK when the store fails, without leaking the cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-broken-'));
    const server = await startServer(
      { port: 0, grpcPort: 0, dataDir: dir, componentsPath: join(dir, 'none') },
      quiet,
    );
    try {
      await server.service.binding('lockstore').store.close();
      const tryLock = await postJson(`${server.url}/v1.0-alpha1/lock/lockstore`, lockBody());
      expect(tryLock).toMatchObject({ status: 500, body: { errorCode: 'ERR_TRY_LOCK' } });
      expect(tryLock.body.message).toMatch(/^failed to try acquiring lock: store is closed$/);
      const unlock = await postJson(`${server.url}/v1.0-alpha1/unlock/lockstore`, lockBody());
      expect(unlock).toMatchObject({ status: 500, body: { errorCode: 'ERR_UNLOCK' } });
      expect(unlock.body.message).toMatch(/^failed to release lock: store is closed$/);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dapr HTTP lock API with a token', () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-dapr-token-'));
    server = await startServer(
      { port: 0, grpcPort: 0, dataDir: dir, componentsPath: join(dir, 'none'), apiToken: 'right' },
      quiet,
    );
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([undefined, 'wrong'])(
    "refuses token %s with daprd's plain-text answer, byte for byte",
    async (token) => {
      for (const path of ['/v1.0-alpha1/lock/lockstore', '/v1.0-alpha1/unlock/lockstore', '/v1.0/metadata']) {
        const res = await fetch(`${server.url}${path}`, {
          method: path.endsWith('metadata') ? 'GET' : 'POST',
          headers: token === undefined ? {} : { 'dapr-api-token': token },
          ...(path.endsWith('metadata') ? {} : { body: JSON.stringify(lockBody()) }),
        });
        expect(res.status).toBe(HTTP_TOKEN_REFUSAL.status);
        expect(res.headers.get('content-type')).toBe(HTTP_TOKEN_REFUSAL.contentType);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(await res.text()).toBe(HTTP_TOKEN_REFUSAL.body);
      }
    },
  );
});
