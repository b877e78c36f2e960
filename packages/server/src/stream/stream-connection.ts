import {
  LeaseholdError,
  opLabel,
  opNamed,
  outcomeOf,
  runOp,
  specOf,
  unknownOp,
  waitHooksOf,
  WatchCompactedError,
} from '@leasehold/core';
import type { Caller, LeaseholdService, OpName, Unsubscribe } from '@leasehold/core';
import type WebSocket from 'ws';
import { StreamLeases } from './stream-leases.js';
import { decodeRequest } from './stream-ops.js';
import type { StreamRequest } from './stream-ops.js';

type Log = (msg: string, err?: unknown) => void;
type Reply = Record<string, unknown> & { id: number | string | null };

/**
 * One client stream: decodes requests, calls the service, and sends the replies ready in one
 * event-loop turn as one frame. Leases granted or kept alive here are renewed by the client's
 * heartbeat (`heartbeat`, or `ping` from older SDKs); waits and watches end when the stream closes.
 */
export class StreamConnection {
  private readonly leases: StreamLeases;
  private readonly waits = new Map<number | string, AbortController>();
  private readonly watches = new Map<number | string, Unsubscribe>();
  private outbox: Reply[] = [];
  private flushScheduled = false;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly caller: Caller,
    private readonly service: LeaseholdService,
    private readonly log: Log,
  ) {
    this.leases = new StreamLeases(caller, service, log);
  }

  /** Handles one frame: a message or an array of messages. */
  receive(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.reply({
        id: null,
        error: { errorCode: 'ERR_MALFORMED_REQUEST', message: 'frame: not valid JSON' },
      });
      return;
    }
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      let request: StreamRequest;
      try {
        request = decodeRequest(message);
      } catch (error) {
        const id = (message as { id?: unknown } | null)?.id;
        this.fail(typeof id === 'number' || typeof id === 'string' ? id : null, error);
        continue;
      }
      this.handle(request);
    }
  }

  /** Ends waits and watches; leases live on until their TTL unless the client comes back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const wait of this.waits.values()) wait.abort();
    for (const stop of this.watches.values()) stop();
    this.waits.clear();
    this.watches.clear();
    this.leases.clear();
  }

  private handle(request: StreamRequest): void {
    const { id, op, args } = request;
    switch (op) {
      case 'heartbeat':
        this.answer(id, this.leases.heartbeat(request.store));
        return;
      case 'ping':
        this.answer(id, this.leases.ping());
        return;
      case 'cancel':
        this.waits.get(args.target as number)?.abort('cancel');
        return;
      case 'forget':
        this.leases.delete(request.store, String(args.leaseId));
        return;
      case 'watch':
        this.watch(request);
        return;
      case 'unwatch':
        this.watches.get(args.target as number)?.();
        this.watches.delete(args.target as number);
        return;
    }
    // An older SDK names ops by their former names; both run the same op.
    const named = opNamed(op);
    if (named === undefined) {
      this.fail(id, unknownOp(op));
      return;
    }
    void this.run(request, named);
  }

  private async run(request: StreamRequest, op: OpName): Promise<void> {
    const { id, store, args } = request;
    const waits = specOf(op).waits === true && typeof args.waitMs === 'number' && args.waitMs > 0;
    const controller = waits ? new AbortController() : undefined;
    if (controller) this.waits.set(id, controller);
    let outcome = 'ok';
    // Registered on arrival, so a heartbeat that follows this keep-alive on the wire renews it too.
    const added = op === 'leases.keepAlive' && this.register(store, args.leaseId);
    try {
      const result = await runOp(this.service, this.caller, store, op, args, controller?.signal);
      if (op === 'leases.grant') this.register(store, (result as { id: string }).id);
      else if (op === 'leases.revoke') this.leases.delete(store, String(args.leaseId));
      const hooks = this.closed ? waitHooksOf(op) : undefined;
      if (hooks?.granted(result)) {
        // Granted after the client went away: nobody would know it holds the lock.
        await hooks.undo(this.service, this.caller, store, args).catch(() => undefined);
        return;
      }
      this.reply({ id, result });
    } catch (error) {
      // Only a lease the store says is gone leaves: the heartbeat must renew, or report, the rest.
      if (added && error instanceof LeaseholdError && error.code === 'LEASE_NOT_FOUND') {
        this.leases.delete(store, String(args.leaseId));
      }
      outcome = outcomeOf(error);
      this.fail(id, error);
    } finally {
      if (controller) this.waits.delete(id);
      // Not timed: a stream request costs a few microseconds, and two clock reads a noticeable share of
      // that; the store's latency is timed, and the SDK sees the round trip.
      this.service.observer?.requestDone('stream', opLabel(op), store, outcome);
    }
  }

  private register(store: string, leaseId: unknown): boolean {
    return !this.closed && typeof leaseId === 'string' && leaseId !== '' && this.leases.add(store, leaseId);
  }

  /** Replies with a heartbeat's result, or its failure (then no lease counts as renewed). */
  private answer(id: number | string, heartbeat: Promise<unknown>): void {
    heartbeat.then(
      (result) => this.reply({ id, result }),
      (error: unknown) => this.fail(id, error),
    );
  }

  private watch(request: StreamRequest): void {
    const { id, store, args } = request;
    try {
      const after = args.afterRevision;
      this.watches.get(id)?.();
      // The error reply is the watch's last message (a resume the store cannot serve whole); the
      // store may send it during subscribe, before there is a stop to keep.
      const watch: { stop?: Unsubscribe; ended?: boolean } = {};
      const onError = (error: LeaseholdError) => {
        watch.ended = true;
        watch.stop?.();
        if (watch.stop && this.watches.get(id) === watch.stop) this.watches.delete(id);
        this.fail(id, error);
      };
      watch.stop = this.service.watch.subscribe(
        this.caller,
        store,
        args.prefix,
        typeof after === 'number' ? after : undefined,
        (event) => this.reply({ id, event }),
        { onError },
      );
      if (watch.ended) watch.stop();
      else this.watches.set(id, watch.stop);
    } catch (error) {
      this.fail(id, error);
    }
  }

  private fail(id: number | string | null, error: unknown): void {
    if (error instanceof LeaseholdError) {
      // As on HTTP: a server-side failure with a cause is news for the operator; the client gets no cause.
      if (error.httpStatus >= 500 && error.cause !== undefined) {
        this.log(`stream request failed: ${error.code}: ${error.message}`, error.cause);
      }
      const oldest = error instanceof WatchCompactedError ? { oldestRevision: error.oldestRevision } : {};
      this.reply({ id, error: { errorCode: error.code, message: error.message, ...oldest } });
      return;
    }
    this.log('stream request failed', error);
    this.reply({ id, error: { errorCode: 'INTERNAL', message: 'internal error' } });
  }

  private reply(message: Reply): void {
    if (this.closed) return;
    this.outbox.push(message);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const messages = this.outbox;
    this.outbox = [];
    if (this.closed || messages.length === 0 || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(messages.length === 1 ? messages[0] : messages));
  }
}
