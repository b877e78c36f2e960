import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { LocalStore, LeaseholdService } from '@leasehold/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tokenFromHeaders } from '../auth.js';
import { attachStream } from './attach-stream.js';

type Message = { id: number | null; result?: any; error?: { errorCode: string; message: string } };

/** A raw stream client that records every frame as it arrived. */
async function connect(url: string, token = 'secret') {
  const ws = new WebSocket(url, { headers: { 'dapr-api-token': token } });
  const frames: unknown[] = [];
  const waiting = new Map<number, (m: Message) => void>();
  ws.on('message', (data: Buffer) => {
    const parsed: unknown = JSON.parse(data.toString());
    frames.push(parsed);
    for (const m of (Array.isArray(parsed) ? parsed : [parsed]) as Message[]) {
      if (typeof m.id === 'number') waiting.get(m.id)?.(m);
    }
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 1;
  const send = (messages: object[]) => {
    const withIds = messages.map((m) => ({ id: next++, store: 'lockstore', ...m }));
    const replies = withIds.map((m) => new Promise<Message>((resolve) => waiting.set(m.id, resolve)));
    ws.send(JSON.stringify(withIds.length === 1 ? withIds[0] : withIds));
    return Promise.all(replies);
  };
  return { ws, frames, send, call: async (m: object) => (await send([m]))[0]! };
}

describe('attachStream', () => {
  let http: Server;
  let store: LocalStore;
  let service: LeaseholdService;
  let stream: { close(): Promise<void> };
  let url: string;

  beforeAll(async () => {
    store = new LocalStore();
    service = new LeaseholdService([{ name: 'lockstore', type: 'lock.memory', keyPrefix: 'appid', store }], {
      limits: { minTtlMs: 100 },
    });
    http = createServer((_q, r) => r.writeHead(404).end());
    stream = attachStream(http, {
      service,
      authenticate: (headers) =>
        tokenFromHeaders(headers) === 'secret' ? { appId: 'a', role: 'app' } : undefined,
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/stream`;
  });
  afterAll(async () => {
    await stream.close();
    http.close();
    await store.close();
  });

  it('refuses a wrong token with 401', async () => {
    const ws = new WebSocket(url, { headers: { authorization: 'Bearer wrong' } });
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_q, response) => resolve(response.statusCode ?? 0)).on('error', () => {}),
    );
    expect(status).toBe(401);
  });

  it('answers requests sent in one frame with one frame', async () => {
    const c = await connect(url);
    const [a, b, d] = await c.send([
      { op: 'counterAdd', name: 'n', delta: 1 },
      { op: 'counterAdd', name: 'n', delta: 2 },
      { op: 'counterGet', name: 'n' },
    ]);
    expect([a!.result.value, b!.result.value, d!.result.value]).toEqual([1, 3, 3]);
    expect(c.frames).toHaveLength(1);
    expect(Array.isArray(c.frames[0])).toBe(true);
    c.ws.close();
  });

  it('runs ops by their <primitive>.<verb> names and by the former names an older SDK sends', async () => {
    const c = await connect(url);
    const [added, read] = await c.send([
      { op: 'counters.add', name: 'both', delta: 2 },
      { op: 'counterGet', name: 'both' },
    ]);
    expect([added!.result.value, read!.result.value]).toEqual([2, 2]);
    const lease = (await c.call({ op: 'leases.grant', ttlMs: 5_000 })).result.id;
    const held = await c.call({ op: 'acquire', name: 'both', leaseId: lease });
    expect(held.result.acquired).toBe(true);
    expect((await c.call({ op: 'locks.describe', name: 'both' })).result.leaseId).toBe(lease);
    expect((await c.call({ op: 'locks.release', name: 'both', leaseId: lease })).result.status).toBe(
      'released',
    );
    expect((await c.call({ op: 'revokeLease', leaseId: lease })).result.revoked).toBe(true);
    expect((await c.call({ op: 'counters.nope' })).error?.errorCode).toBe('INVALID_ARGUMENT');
    c.ws.close();
  });

  it('names the field of a bad request and keeps serving', async () => {
    const c = await connect(url);
    expect((await c.call({ op: 'nope' })).error).toMatchObject({
      errorCode: 'INVALID_ARGUMENT',
      message: /op/,
    });
    expect((await c.call({ op: 'grantLease', ttlMs: 'x' })).error?.message).toMatch(/ttlMs/);
    c.ws.send('{not json');
    expect((await c.call({ op: 'counterGet', name: 'n' })).result).toBeDefined();
    c.ws.close();
  });

  it('renews every lease granted on the stream with one ping, and stops when pings stop', async () => {
    const c = await connect(url);
    const leases = await c.send([
      { op: 'grantLease', ttlMs: 300 },
      { op: 'grantLease', ttlMs: 300 },
    ]);
    const ids = leases.map((m) => m.result.id as string);
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const pong = await c.call({ op: 'ping' });
      const renewed = pong.result.renewed as { leaseId: string }[];
      expect(renewed.map((r) => r.leaseId).sort()).toEqual([...ids].sort());
    }
    await new Promise((r) => setTimeout(r, 700));
    const after = await c.call({ op: 'getLease', leaseId: ids[0] });
    expect(after.error?.errorCode).toBe('LEASE_NOT_FOUND');
    expect((await c.call({ op: 'ping' })).result.lost.length).toBe(2);
    c.ws.close();
  });

  it('renews every lease on the stream with one bulk heartbeat that answers only the leases lost', async () => {
    const c = await connect(url);
    const granted = await c.send([
      { op: 'leases.grant', ttlMs: 300 },
      { op: 'leases.grant', ttlMs: 300 },
    ]);
    const [kept, revoked] = granted.map((m) => m.result.id as string);
    // Another stream's lease, put under this one's heartbeat by a keep-alive just ahead of it.
    const other = await connect(url);
    const adopted = (await other.call({ op: 'leases.grant', ttlMs: 300 })).result.id as string;
    other.ws.close();
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const [, beat] = await c.send([{ op: 'leases.keepAlive', leaseId: adopted }, { op: 'heartbeat' }]);
      expect(beat!.result).toEqual({ lost: [] });
    }
    await store.leases.revoke(revoked!, undefined);
    expect((await c.call({ op: 'heartbeat' })).result).toEqual({ lost: [revoked] });
    expect((await c.call({ op: 'heartbeat' })).result).toEqual({ lost: [] });
    c.send([{ op: 'forget', leaseId: adopted }]).catch(() => undefined);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      expect((await c.call({ op: 'heartbeat' })).result).toEqual({ lost: [] });
    }
    expect((await c.call({ op: 'leases.get', leaseId: kept })).result.id).toBe(kept);
    expect((await c.call({ op: 'leases.get', leaseId: adopted })).error?.errorCode).toBe('LEASE_NOT_FOUND');
    const [unknown] = await c.send([{ op: 'heartbeat', store: 'nowhere' }]);
    expect(unknown!.error).toEqual({
      errorCode: 'STORE_NOT_FOUND',
      message: 'store: nowhere is not configured',
    });
    c.ws.close();
  });

  it('ends a wait when its stream closes', async () => {
    const holder = await connect(url);
    const lease = (await holder.call({ op: 'grantLease', ttlMs: 5_000 })).result.id;
    await holder.call({ op: 'acquire', name: 'w', leaseId: lease });
    const waiter = await connect(url);
    const waiterLease = (await waiter.call({ op: 'grantLease', ttlMs: 5_000 })).result.id;
    void waiter.send([{ op: 'acquire', name: 'w', leaseId: waiterLease, waitMs: 5_000 }]);
    await new Promise((r) => setTimeout(r, 50));
    expect((await holder.call({ op: 'describeLock', name: 'w' })).result.waiters).toBe(1);
    waiter.ws.terminate();
    await new Promise((r) => setTimeout(r, 50));
    expect((await holder.call({ op: 'describeLock', name: 'w' })).result.waiters).toBe(0);
    holder.ws.close();
  });
});
