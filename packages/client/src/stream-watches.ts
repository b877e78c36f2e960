import { watchErrorOf } from './errors.js';
import type { StreamReply, StreamRequest } from './stream-protocol.js';
import type { WatchEvent, WatchHandlers } from './transport.js';

/** Pause before a watch the server ended for a backend failure is asked for again. */
const WATCH_RETRY_MS = 500;

interface Watch {
  readonly frame: StreamRequest;
  readonly handlers: WatchHandlers;
  lastRevision: number | undefined;
}

/** What the watches need of the stream: send a frame while it is open. */
export interface WatchLink {
  readonly open: boolean;
  send(frame: StreamRequest): void;
}

/**
 * The watches of one client stream, by request id: each remembers the last revision it delivered, so
 * a reconnect or a backend failure resumes it from there rather than from its start.
 */
export class StreamWatches {
  private readonly watches = new Map<number, Watch>();

  constructor(private readonly link: WatchLink) {}

  /** How many watches are open. */
  get size(): number {
    return this.watches.size;
  }

  /** Registers a watch under `frame.id`; the caller sends the frame. */
  add(frame: StreamRequest, handlers: WatchHandlers): void {
    this.watches.set(frame.id, { frame, handlers, lastRevision: undefined });
  }

  /** Forgets a watch; false when it was not open. */
  delete(id: number): boolean {
    return this.watches.delete(id);
  }

  /** Handles a reply addressed to a watch (an event or its end); false when it is not a watch's. */
  receive(reply: StreamReply): boolean {
    if ('event' in reply) {
      const watch = this.watches.get(reply.id);
      if (watch) {
        watch.lastRevision = reply.event.revision;
        watch.handlers.onEvent(reply.event as unknown as WatchEvent);
      }
      return true;
    }
    if (!('error' in reply) || !this.watches.has(reply.id)) return false;
    this.failed(reply.id, reply.error);
    return true;
  }

  /** Asks again for every watch on a new connection, each from its last revision. */
  resumeAll(): void {
    for (const watch of this.watches.values()) this.link.send(resumeFrame(watch));
  }

  /** Ends every watch. */
  clear(): void {
    this.watches.clear();
  }

  /**
   * The server ended a watch. A backend feed lost (`UNAVAILABLE`, `STORE_ERROR`) is resumed from
   * the last revision after a pause; anything else (a compacted history, a bad prefix) ends it.
   */
  private failed(id: number, body: { errorCode: string; message: string; oldestRevision?: number }): void {
    const watch = this.watches.get(id)!;
    watch.handlers.onError?.(watchErrorOf(body));
    if (body.errorCode !== 'UNAVAILABLE' && body.errorCode !== 'STORE_ERROR') {
      this.watches.delete(id);
      return;
    }
    const timer = setTimeout(() => {
      if (this.watches.get(id) !== watch || !this.link.open) return; // a reconnect resumes it
      this.link.send(resumeFrame(watch));
    }, WATCH_RETRY_MS);
    timer.unref();
  }
}

function resumeFrame(watch: Watch): StreamRequest {
  const afterRevision = watch.lastRevision ?? watch.frame.afterRevision;
  return { ...watch.frame, ...(afterRevision === undefined ? {} : { afterRevision }) };
}
