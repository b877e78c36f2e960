import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { LeaseholdClient } from '../src/index.js';

type Request = { id: number; op: string; store: string; leaseId?: string };

/**
 * A server from before the bulk heartbeat: it turns `heartbeat` down as an unknown op and renews
 * on `ping`, answering every lease renewed. Lease `gone` is reported lost.
 */
async function olderServer(ops: string[]): Promise<{ http: Server; url: string }> {
  const http = createServer((_q, r) => r.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, path: '/v1/stream' });
  let next = 0;
  const granted: string[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString()) as Request | Request[];
      const replies = (Array.isArray(parsed) ? parsed : [parsed]).map((m) => {
        ops.push(m.op);
        if (m.op === 'leases.grant') {
          const id = next++ === 0 ? 'gone' : `lease-${next}`;
          granted.push(id);
          return { id: m.id, result: { id, ttlMs: 300 } };
        }
        if (m.op === 'ping') {
          const renewed = granted.filter((id) => id !== 'gone');
          return {
            id: m.id,
            result: {
              renewed: renewed.map((leaseId) => ({ store: m.store, leaseId, ttlMs: 300 })),
              lost: [{ store: m.store, leaseId: 'gone', errorCode: 'LEASE_NOT_FOUND' }],
            },
          };
        }
        const message = `op: unknown operation "${m.op}"`;
        return { id: m.id, error: { errorCode: 'INVALID_ARGUMENT', message } };
      });
      ws.send(JSON.stringify(replies.length === 1 ? replies[0] : replies));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address() as { port: number };
  return { http, url: `http://127.0.0.1:${address.port}` };
}

describe('the heartbeat against a server that predates the bulk one', () => {
  const ops: string[] = [];
  let server: { http: Server; url: string };

  beforeAll(async () => {
    server = await olderServer(ops);
  });
  afterAll(() => {
    server.http.closeAllConnections();
    server.http.close();
  });

  it('falls back to ping for good and keeps its leases alive by it', async () => {
    const client = new LeaseholdClient({ url: server.url, heartbeatMs: 50 });
    const gone = await client.leases.grant({ ttlMs: 300 });
    const kept = await client.leases.grant({ ttlMs: 300 });
    await new Promise((r) => setTimeout(r, 900));
    expect(gone.lost).toBe(true);
    expect(kept.live).toBe(true);
    expect(kept.validForMs).toBeGreaterThan(0);
    expect(ops.filter((op) => op === 'heartbeat')).toHaveLength(1);
    expect(ops.filter((op) => op === 'ping').length).toBeGreaterThan(3);
    await client.close();
  });
});
