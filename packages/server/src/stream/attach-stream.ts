import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Caller, LeaseholdService } from '@leasehold/core';
import type { AuthSession } from '../auth.js';
import { WebSocketServer } from 'ws';
import type WebSocket from 'ws';
import { StreamConnection } from './stream-connection.js';

/** Settings of the client stream. */
export interface StreamOptions {
  readonly service: LeaseholdService;
  /** The caller for a connection's headers; undefined refuses it with 401. */
  authenticate(headers: IncomingHttpHeaders): Caller | undefined;
  /** Follows an open connection's token; the connection closes when its session is revoked. */
  track?(headers: IncomingHttpHeaders, caller: Caller): AuthSession;
  /** How often the server pings each client to find dead connections; default 15000 ms. */
  readonly heartbeatMs?: number;
  readonly log?: (msg: string, err?: unknown) => void;
}

/** The path the stream is served on. */
export const STREAM_PATH = '/v1/stream';

/** Largest frame accepted: the 1 MiB KV body limit plus room for the envelope. */
const MAX_FRAME_BYTES = 1_048_576 + 65_536;

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

/**
 * Serves the multiplexed client stream (DESIGN §4.4) on `server`'s `upgrade` event at
 * `/v1/stream`, same port and token as HTTP.
 */
export function attachStream(server: Server, options: StreamOptions): { close(): Promise<void> } {
  const log = options.log ?? (() => undefined);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const connections = new Map<WebSocket, StreamConnection>();
  const alive = new WeakSet<WebSocket>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== STREAM_PATH) {
      if (server.listenerCount('upgrade') === 1) refuse(socket, 404, 'not found');
      return;
    }
    let caller: Caller | undefined;
    try {
      caller = options.authenticate(request.headers);
    } catch (error) {
      refuse(socket, 403, error instanceof Error ? error.message : 'forbidden');
      return;
    }
    if (!caller) {
      refuse(socket, 401, 'invalid api token');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new StreamConnection(ws, caller, options.service, log);
      const session = options.track?.(request.headers, caller);
      // 1008 (policy violation): the token this connection opened with is no longer valid.
      session?.revoked.addEventListener('abort', () => ws.close(1008, 'api token revoked'), { once: true });
      connections.set(ws, connection);
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      ws.on('message', (data: Buffer, isBinary) => {
        alive.add(ws);
        if (!isBinary) connection.receive(data.toString('utf8'));
      });
      ws.on('error', (error) => log('stream socket error', error));
      ws.on('close', () => {
        session?.end();
        connection.close();
        connections.delete(ws);
      });
    });
  };
  server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const ws of connections.keys()) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    close: async () => {
      clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      for (const [ws, connection] of connections) {
        connection.close();
        ws.close(1001, 'server shutting down');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const ws of connections.keys()) ws.terminate();
        }, 1_000);
        timer.unref();
        wss.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
