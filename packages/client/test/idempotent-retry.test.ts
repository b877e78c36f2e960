import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaseholdClient } from '../src/index.js';
import type { TestServer } from './support/test-server.js';
import { startTestServer } from './support/test-server.js';

/** A loopback proxy that can lose one reply: the server acted, the client never hears, the link breaks. */
interface LossyProxy {
  readonly url: string;
  /** The next bytes from the server are dropped and that connection is cut. */
  loseNextReply(): void;
  readonly lost: number;
  close(): Promise<void>;
}

async function startLossyProxy(targetPort: number): Promise<LossyProxy> {
  let armed = false;
  let lost = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined).on('close', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!armed) return void client.write(chunk);
      armed = false;
      lost++;
      client.destroy();
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    loseNextReply: () => (armed = true),
    get lost() {
      return lost;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(['http', 'stream'] as const)('a put or add whose reply is lost, over %s', (transport) => {
  let server: TestServer;
  let proxy: LossyProxy;
  let client: LeaseholdClient;

  beforeAll(async () => {
    server = await startTestServer();
    proxy = await startLossyProxy(server.httpPort);
    client = new LeaseholdClient({ url: proxy.url, ...(transport === 'http' ? { transport } : {}) });
    await client.counters.get('warm-up'); // the stream connects before a reply is lost
  });
  afterAll(async () => {
    await client?.close();
    await proxy?.close();
    await server?.close();
  });

  it('is sent again with the same idempotency key and applied once', async () => {
    proxy.loseNextReply();
    expect(await client.counters.add(`${transport}/ctr`, 5)).toBe(5);
    expect(proxy.lost).toBe(1);
    expect(await client.counters.get(`${transport}/ctr`)).toBe(5);

    proxy.loseNextReply();
    const put = await client.kv.put(`${transport}/k`, 'v');
    expect(proxy.lost).toBe(2);
    expect(put.version).toBe(1);
    expect((await client.kv.get(`${transport}/k`)).version).toBe(1);
  });

  it('a key given by the caller is the one sent: its repeat replays the first result', async () => {
    const first = await client.kv.put(`${transport}/mine`, 'v', { idempotencyKey: `${transport}-mine` });
    const again = await client.kv.put(`${transport}/mine`, 'v', { idempotencyKey: `${transport}-mine` });
    expect(again).toEqual(first);
    await expect(
      client.counters.add(`${transport}/c2`, 1, { idempotencyKey: `${transport}-mine` }),
    ).resolves.toBe(1);
  });
});
