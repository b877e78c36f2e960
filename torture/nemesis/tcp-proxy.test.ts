import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TcpProxy } from './tcp-proxy.js';

/** A client connection that collects what it receives and how it ended. */
interface Probe {
  readonly socket: Socket;
  received: string;
  /** 'open', 'closed', or the error code that ended it. */
  ended: string;
}

/** Connects; resolves once connected, or once the connection failed (a refused one ends at once). */
function probe(port: number): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const result: Probe = { socket, received: '', ended: 'open' };
    socket.on('data', (chunk: Buffer) => (result.received += chunk.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) => (result.ended = error.code ?? error.message));
    socket.on('close', () => {
      if (result.ended === 'open') result.ended = 'closed';
    });
    socket.once('connect', () => resolve(result));
    socket.once('close', () => resolve(result));
  });
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TcpProxy', () => {
  let echo: Server;
  let proxy: TcpProxy;
  const echoSockets = new Set<Socket>();

  beforeEach(async () => {
    echo = createServer((socket) => {
      echoSockets.add(socket);
      socket.on('close', () => echoSockets.delete(socket));
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    proxy = await TcpProxy.start((echo.address() as AddressInfo).port);
  });

  afterEach(async () => {
    await proxy.close();
    for (const socket of echoSockets) socket.destroy();
    await new Promise((resolve) => echo.close(resolve));
  });

  it('forwards bytes both ways', async () => {
    const client = await probe(proxy.port);
    client.socket.write('hello ');
    client.socket.write('proxy');
    await until(() => client.received === 'hello proxy');
    expect(proxy.connections).toBe(1);
    client.socket.destroy();
  });

  it('a reset cut kills live connections and refuses new ones until restore', async () => {
    const live = await probe(proxy.port);
    live.socket.write('x');
    await until(() => live.received === 'x');
    proxy.cut('reset');
    await until(() => live.ended !== 'open');
    expect(live.ended).toBe('ECONNRESET');
    await until(() => echoSockets.size === 0);

    const refused = await probe(proxy.port);
    if (refused.ended === 'open') refused.socket.write('y');
    await until(() => refused.ended !== 'open');
    expect([refused.ended, refused.received]).toEqual(['ECONNRESET', '']);

    proxy.restore();
    const after = await probe(proxy.port);
    after.socket.write('z');
    await until(() => after.received === 'z');
    after.socket.destroy();
  });

  it('a blackhole stalls live and new connections without closing them, and restore delivers', async () => {
    const live = await probe(proxy.port);
    live.socket.write('a');
    await until(() => live.received === 'a');
    proxy.cut('blackhole');
    live.socket.write('b');
    const fresh = await probe(proxy.port);
    fresh.socket.write('c');
    await pause(300);
    expect([live.received, live.ended, fresh.received, fresh.ended]).toEqual(['a', 'open', '', 'open']);

    proxy.restore();
    await until(() => live.received === 'ab' && fresh.received === 'c');
    live.socket.destroy();
    fresh.socket.destroy();
  });

  it('ends the client when the target is down, and close() leaves no socket behind', async () => {
    const client = await probe(proxy.port);
    client.socket.write('q');
    await until(() => client.received === 'q' && echoSockets.size === 1);
    const downstream = await TcpProxy.start(1);
    const orphan = await probe(downstream.port);
    await until(() => orphan.ended !== 'open');
    await downstream.close();

    await proxy.close();
    await until(() => client.ended !== 'open' && echoSockets.size === 0);
    expect(proxy.connections).toBe(0);
    proxy = await TcpProxy.start((echo.address() as AddressInfo).port);
  });
});
