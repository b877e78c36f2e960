import type { EventEmitter } from 'node:events';
import { ClientClosedError, ConnectionError, errorFromCode } from './errors.js';
import { HeartbeatRenewer } from './heartbeat-renewer.js';
import type { HeartbeatReply } from './heartbeat-renewer.js';
import type { StreamReply, StreamRequest } from './stream-protocol.js';
import { SignalWatch } from './signal-watch.js';
import { StreamSocket } from './stream-socket.js';
import { StreamWatches } from './stream-watches.js';
import type { ClientTlsOptions } from './tls-options.js';
import type { CallOptions, Op, RenewableLease, Transport, WatchHandlers } from './transport.js';
import { NO_OPTIONS, WAITING_OPS, abortReason, authHeaders, retryable } from './transport.js';

/** Settings of the stream transport. */
export interface StreamTransportOptions {
  readonly url: string;
  readonly store: string;
  readonly token?: string | undefined;
  /** With an admin token: the app whose key space to work in. */
  readonly actAs?: string | undefined;
  /** CA and client certificate for `https://` URLs. */
  readonly tls?: ClientTlsOptions;
  /** Receives `disconnect`, `reconnect` and `reentered` events. */
  readonly events?: EventEmitter;
  /** Heartbeat ceiling; default 5000 ms. */
  readonly heartbeatMs?: number;
  /** Calls fail with ConnectionError after the stream has been down this long; default 10 s. */
  readonly connectTimeoutMs?: number;
}

interface Pending {
  readonly id: number;
  readonly op: Op | 'heartbeat' | 'ping' | 'watch';
  readonly frame: StreamRequest;
  readonly options: CallOptions;
  readonly waitUntil: number | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  sentOn: number | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Ends the call if its lease is lost, while it is in flight. */
  onLeaseLost: ((error: Error) => void) | undefined;
}

/**
 * One multiplexed WebSocket per client (DESIGN §4.4). Calls made in one event-loop turn travel
 * in one frame; after a reconnect, live leases are re-registered, waiting acquires re-entered,
 * idempotent calls re-sent and watches resumed.
 */
export class StreamTransport implements Transport {
  readonly kind = 'stream' as const;
  readonly renewer: HeartbeatRenewer;
  private readonly socket: StreamSocket;
  private closed = false;
  private everOpened = false;
  private downSince: number | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly watches: StreamWatches;
  /** The calls each caller's signal would end: one abort listener per signal. */
  private readonly aborts = new SignalWatch<Pending>((entry, reason) => this.abort(entry, reason));

  constructor(private readonly options: StreamTransportOptions) {
    this.socket = new StreamSocket(
      options.url,
      authHeaders(options.token, options.actAs),
      options.tls ?? {},
      {
        onOpen: () => this.onOpen(),
        onClose: (wasOpen) => this.onClose(wasOpen),
        onReply: (reply) => this.settle(reply),
        onRefused: (status, url) => {
          if (status === 401) this.failAll(errorFromCode('ERR_UNAUTHORIZED', 'invalid api token', 401));
          else if (status === 403) {
            this.failAll(errorFromCode('FORBIDDEN', 'acting as another app needs an admin token', 403));
          } else if (status === 404) {
            this.failAll(
              new ConnectionError(
                `${url} answered 404: this server has no client stream; use transport: 'http'`,
              ),
            );
          }
        },
      },
    );
    this.watches = new StreamWatches(this.socket);
    this.renewer = new HeartbeatRenewer(
      {
        store: options.store,
        heartbeat: (op, timeoutMs) => this.request<HeartbeatReply>(op, {}, { timeoutMs, retry: false }),
        forget: (leaseId) => {
          if (this.socket.open)
            this.socket.send({ id: this.nextId++, op: 'forget', store: options.store, leaseId });
        },
      },
      options.heartbeatMs ?? 5_000,
    );
  }

  call<T>(op: Op, args: Record<string, unknown>, options: CallOptions = NO_OPTIONS): Promise<T> {
    return this.request<T>(op, args, options);
  }

  /** Drops the current connection (as a network failure would); it comes back by itself. */
  recycle(): void {
    this.socket.terminate();
  }

  private request<T>(op: Pending['op'], args: Record<string, unknown>, options: CallOptions): Promise<T> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    const aborted = abortReason(options);
    if (aborted !== undefined) return Promise.reject(aborted);
    const id = this.nextId++;
    // The args are ours to keep (Transport.call): they become the frame, with no copy.
    args.id = id;
    args.op = op;
    args.store = this.options.store;
    const frame = args as StreamRequest;
    const waitMs = typeof args.waitMs === 'number' && args.waitMs > 0 ? args.waitMs : undefined;
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        id,
        op,
        frame,
        options,
        waitUntil: waitMs === undefined ? undefined : performance.now() + waitMs,
        resolve: resolve as (value: unknown) => void,
        reject,
        sentOn: undefined,
        timer: undefined,
        onLeaseLost: undefined,
      };
      this.pending.set(id, entry);
      this.holdProcess();
      if (options.timeoutMs !== undefined) {
        entry.timer = setTimeout(
          () => this.fail(entry, new ConnectionError(`${op}: no answer in ${options.timeoutMs} ms`)),
          Math.max(1, Math.ceil(options.timeoutMs)),
        );
        entry.timer.unref();
      }
      if (options.lease) {
        entry.onLeaseLost = (error) => this.abort(entry, error);
        options.lease.addLossListener(entry.onLeaseLost);
      }
      if (options.signal) this.aborts.add(options.signal, entry);
      if (this.socket.open) this.transmit(entry);
      else this.socket.connect();
    });
  }

  /** `entry` no longer ends with its lease's loss or its signal. */
  private unwatch(entry: Pending): void {
    const { lease, signal } = entry.options;
    if (entry.onLeaseLost) lease?.removeLossListener(entry.onLeaseLost);
    entry.onLeaseLost = undefined;
    if (signal) this.aborts.delete(signal, entry);
  }

  private abort(entry: Pending, reason: unknown): void {
    this.unwatch(entry); // the first signal to fire decides, as a composite signal's would
    if (!this.pending.has(entry.id)) return;
    // A sent acquire stays pending until the server confirms it left the queue (or granted).
    if (WAITING_OPS.has(entry.op as Op) && entry.sentOn === this.socket.generation && this.socket.open) {
      this.socket.send({ id: this.nextId++, op: 'cancel', target: entry.id });
      return;
    }
    this.fail(entry, reason);
  }

  private fail(entry: Pending, error: unknown): void {
    if (!this.pending.delete(entry.id)) return;
    clearTimeout(entry.timer);
    this.unwatch(entry);
    entry.reject(error);
    this.holdProcess();
  }

  private settle(reply: StreamReply): void {
    // A watch's event or end; an event for a watch already stopped is dropped.
    if (this.watches.receive(reply)) return this.holdProcess();
    if ('event' in reply) return;
    const entry = this.pending.get(reply.id);
    if (!entry) return;
    this.pending.delete(reply.id);
    clearTimeout(entry.timer);
    this.unwatch(entry);
    if ('error' in reply) entry.reject(errorFromCode(reply.error.errorCode, reply.error.message));
    else entry.resolve(reply.result);
    this.holdProcess();
  }

  private transmit(entry: Pending): void {
    entry.sentOn = this.socket.generation;
    this.socket.send(entry.frame);
  }

  private onOpen(): void {
    this.downSince = undefined;
    if (this.everOpened) this.options.events?.emit('reconnect');
    this.everOpened = true;
    for (const lease of this.renewer.registered()) this.reregister(lease);
    for (const entry of [...this.pending.values()]) this.resend(entry);
    this.watches.resumeAll();
  }

  /** A keep-alive on the new connection puts the lease back under its heartbeat. */
  private reregister(lease: RenewableLease): void {
    const sentAt = performance.now();
    this.request<{ ttlMs: number }>('leases.keepAlive', { leaseId: lease.id }, {}).then(
      (reply) => lease.acknowledge(sentAt, reply.ttlMs),
      (error: unknown) => {
        if ((error as { errorCode?: string }).errorCode === 'LEASE_NOT_FOUND') {
          this.renewer.remove(lease);
          lease.markLost('it expired while the stream was down', error);
        }
      },
    );
  }

  private resend(entry: Pending): void {
    if (entry.sentOn === this.socket.generation) return;
    if (entry.op === 'ping' || entry.op === 'heartbeat') {
      this.fail(entry, new ConnectionError('stream reconnected'));
    } else if (entry.sentOn === undefined) {
      this.transmit(entry);
    } else if (entry.waitUntil !== undefined && WAITING_OPS.has(entry.op as Op)) {
      const waitMs = Math.max(0, Math.round(entry.waitUntil - performance.now()));
      (entry.frame as unknown as { waitMs: number }).waitMs = waitMs;
      entry.options.onReentered?.();
      this.options.events?.emit('reentered', { op: entry.op, id: entry.id, waitMs });
      this.transmit(entry);
    } else if (retryable(entry.op as Op, entry.frame) || WAITING_OPS.has(entry.op as Op)) {
      // A repeated acquire by the lease that holds the lock answers with the same grant; a call with
      // an idempotency key goes again with the same key, which the store applies once.
      this.transmit(entry);
    } else {
      this.fail(entry, new ConnectionError(`${entry.op}: the stream dropped; the outcome is unknown`));
    }
  }

  private onClose(wasOpen: boolean): void {
    if (wasOpen) this.options.events?.emit('disconnect');
    if (this.closed) return;
    this.downSince ??= performance.now();
    const timeout = this.options.connectTimeoutMs ?? 10_000;
    if (
      performance.now() - this.downSince >= timeout ||
      (!this.everOpened && this.socket.failedAttempts >= 3)
    ) {
      this.failAll(new ConnectionError(`cannot reach ${this.options.url}/v1/stream`));
    }
    if (this.pending.size === 0 && this.watches.size === 0 && this.renewer.registered().length === 0) return;
    this.socket.reconnectLater(this.pending.size > 0);
  }

  private failAll(error: Error): void {
    for (const entry of [...this.pending.values()]) this.fail(entry, error);
  }

  /** The connection keeps the process alive only while calls or watches wait on it. */
  private holdProcess(): void {
    this.socket.hold(this.pending.size > 0 || this.watches.size > 0);
  }

  watch(prefix: string, handlers: WatchHandlers, afterRevision?: number): () => void {
    const id = this.nextId++;
    const frame: StreamRequest = {
      id,
      op: 'watch',
      store: this.options.store,
      prefix,
      ...(afterRevision === undefined ? {} : { afterRevision }),
    };
    this.watches.add(frame, handlers);
    this.holdProcess();
    if (this.socket.open) this.socket.send(frame);
    else this.socket.connect();
    return () => {
      if (!this.watches.delete(id)) return;
      if (this.socket.open) this.socket.send({ id: this.nextId++, op: 'unwatch', target: id });
      this.holdProcess();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.renewer.stop();
    this.failAll(new ClientClosedError());
    this.watches.clear();
    await this.socket.close();
  }
}
