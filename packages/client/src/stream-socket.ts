import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { Backoff } from './backoff.js';
import type { ClientTlsOptions } from './tls-options.js';
import { tlsConnectOptions } from './tls-options.js';
import type { StreamReply, StreamRequest } from './stream-protocol.js';
import { decodeFrame, encodeFrames } from './stream-protocol.js';

/** What the socket tells its owner. */
export interface StreamSocketHandlers {
  /** A (new) connection is ready. */
  onOpen(): void;
  /** The connection ended; `wasOpen` is false when it never opened. */
  onClose(wasOpen: boolean): void;
  onReply(reply: StreamReply): void;
  /** The server refused the upgrade with this HTTP status. */
  onRefused(status: number, url: string): void;
}

/**
 * The WebSocket under the client stream: connects on demand, comes back after a drop with
 * jittered backoff, sends everything queued in one event-loop turn as one frame, and holds the
 * process open only while its owner says calls are waiting.
 */
export class StreamSocket {
  /** Counts connections; a message sent on an earlier one may have been lost. */
  generation = 0;
  private ws: WebSocket | undefined;
  private socket: Socket | undefined;
  private isOpen = false;
  private closed = false;
  private attempt = 0;
  private readonly backoff = new Backoff(50, 2_000);
  private held = false;
  private outbox: StreamRequest[] = [];
  private flushScheduled = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly url: string;

  constructor(
    baseUrl: string,
    /** Sent on every connection: the token, and the app an admin acts as. */
    private readonly authHeaders: Record<string, string>,
    private readonly tls: ClientTlsOptions,
    private readonly handlers: StreamSocketHandlers,
  ) {
    this.url = `${baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/v1/stream`;
  }

  /** True while a connection is open. */
  get open(): boolean {
    return this.isOpen;
  }

  /** Failed attempts since the last successful connection. */
  get failedAttempts(): number {
    return this.attempt;
  }

  /** Opens a connection unless one is open, opening, or waiting for its backoff. */
  connect(): void {
    if (this.ws || this.closed || this.reconnectTimer) return;
    const headers = { ...this.authHeaders };
    const ws = new WebSocket(this.url, { headers, perMessageDeflate: false, ...tlsConnectOptions(this.tls) });
    this.ws = ws;
    ws.on('upgrade', (response) => {
      this.socket = response.socket;
      this.applyHold(this.held);
    });
    ws.on('open', () => {
      this.isOpen = true;
      this.attempt = 0;
      this.backoff.reset();
      this.generation++;
      this.handlers.onOpen();
    });
    ws.on('message', (data: Buffer) => {
      for (const reply of decodeFrame(data.toString('utf8'))) this.handlers.onReply(reply);
    });
    ws.on('unexpected-response', (_request, response) => {
      ws.terminate();
      this.handlers.onRefused(response.statusCode ?? 0, this.url);
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.ws !== ws) return;
      const wasOpen = this.isOpen;
      this.ws = undefined;
      this.socket = undefined;
      this.isOpen = false;
      if (!wasOpen) this.attempt++;
      this.handlers.onClose(wasOpen);
    });
  }

  /** Connects again after a backoff; `urgent` keeps the process alive meanwhile. */
  reconnectLater(urgent: boolean): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, this.backoff.next());
    if (!urgent && !this.held) this.reconnectTimer.unref();
  }

  /** Queues a message for this turn's frame; dropped if no connection is open at flush. */
  send(message: StreamRequest): void {
    this.outbox.push(message);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const messages = this.outbox;
      this.outbox = [];
      if (!this.isOpen || messages.length === 0) return;
      // A turn's requests go as few frames as the server's frame limit allows.
      for (const frame of encodeFrames(messages)) this.ws?.send(frame);
    });
  }

  /** Holds the process open (calls are waiting) or lets it exit. */
  hold(held: boolean): void {
    if (held === this.held) return; // asked on every call and reply; ref() is a native call
    this.applyHold(held);
  }

  private applyHold(held: boolean): void {
    this.held = held;
    if (held) {
      this.socket?.ref();
      this.reconnectTimer?.ref();
    } else this.socket?.unref();
  }

  /** Drops the connection as a network failure would. */
  terminate(): void {
    this.ws?.terminate();
  }

  /** Closes for good. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const ws = this.ws;
    if (!ws) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
      setTimeout(() => ws.terminate(), 1_000).unref();
    });
  }
}
