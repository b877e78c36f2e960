import type { LeaseholdError, WatchSignals, WatchView } from '@leasehold/core';
import { checkInteger, WatchCompactedError } from '@leasehold/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { tokenFromHeaders } from '../auth.js';
import type { HttpContext } from './context.js';

const HEARTBEAT_MS = 15_000;
/** The first frame of a watch on a per-server feed (Redlock), so its reader is not misled. */
const PER_SERVER = ': feed per-server: only the changes made through this Leasehold server\n\n';

function frame(event: WatchView): string {
  return `id: ${event.revision}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The last frame of a watch that cannot go on: no id, so a client's Last-Event-ID stays put. */
function errorFrame(error: LeaseholdError): string {
  const oldest = error instanceof WatchCompactedError ? { oldestRevision: error.oldestRevision } : {};
  const body = { errorCode: error.code, message: error.message, ...oldest };
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
}

function readAfterRevision(lastEventId: string | string[] | undefined, query: string | undefined) {
  const resumeFrom = lastEventId ?? query;
  if (resumeFrom === undefined || resumeFrom === '') return undefined;
  const text = String(resumeFrom);
  return checkInteger(
    'Last-Event-ID',
    /^\d+$/.test(text) ? Number(text) : resumeFrom,
    0,
    Number.MAX_SAFE_INTEGER,
  );
}

/**
 * The text side of one SSE watch: frames written before the response is open (the store may
 * answer during subscribe) wait in order, and an ending asked for early ends it once open.
 */
class SseSink {
  private pending: string[] | undefined = [];
  private endWanted = false;
  private onEnd: (() => void) | undefined;

  constructor(private readonly reply: FastifyReply) {}

  send(text: string): void {
    if (this.pending) this.pending.push(text);
    else if (!this.reply.raw.writableEnded) this.reply.raw.write(text);
  }

  /** Writes the frame, then ends the stream (now, or as soon as it is open). */
  finish(text: string): void {
    this.send(text);
    this.endWanted = true;
    this.onEnd?.();
  }

  /** Opens the response, flushes what waited, and calls `end` when the watch must stop. */
  open(end: () => void): void {
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    for (const text of this.pending ?? []) this.reply.raw.write(text);
    this.pending = undefined;
    this.onEnd = end;
    if (this.endWanted) end();
  }
}

/**
 * `GET /v1/{store}/watch?prefix=` as Server-Sent Events. Each event's id is its revision, so a
 * client resumes with `Last-Event-ID` (or `?afterRevision=`) from the retained history. The
 * comment `: watching` comes once the store is live; a resume it cannot serve whole ends with
 * `event: error` (`WATCH_COMPACTED`, naming the oldest revision it still has); a lost backend
 * feed ends it with `UNAVAILABLE`, to be resumed from the last id. A per-server feed (Redlock) first
 * says so in a comment.
 */
export function registerWatchRoute(app: FastifyInstance, ctx: HttpContext): void {
  app.get<{
    Params: { store: string };
    Querystring: { prefix?: string; afterRevision?: string; apps?: string };
  }>('/v1/:store/watch', (request, reply) => {
    const afterRevision = readAfterRevision(request.headers['last-event-id'], request.query.afterRevision);
    const sink = new SseSink(reply);
    const write = (event: WatchView) => sink.send(frame(event));
    const signals: WatchSignals = {
      onLive: () => sink.send(': watching\n\n'),
      onError: (error) => sink.finish(errorFrame(error)),
    };
    // Subscribing validates the store and prefix; errors are still ordinary JSON replies here.
    // `apps=all` is an admin's feed of every app (the console's), named per key space.
    const { caller, params, query } = request;
    if (ctx.service.watch.perServer(caller, params.store)) sink.send(PER_SERVER);
    const unsubscribe =
      query.apps === 'all'
        ? ctx.service.watch.subscribeAll(caller, params.store, afterRevision, write, signals)
        : ctx.service.watch.subscribe(
            caller,
            params.store,
            query.prefix ?? '',
            afterRevision,
            write,
            signals,
          );
    reply.hijack();
    const heartbeat = setInterval(() => sink.send(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    // A token reload that drops this watch's token ends the watch, as shutdown does.
    const session = ctx.auth.track(tokenFromHeaders(request.headers), caller);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      session.end();
      ctx.shutdown.removeEventListener('abort', end);
      session.revoked.removeEventListener('abort', end);
      if (!reply.raw.writableEnded) reply.raw.end();
    };
    reply.raw.on('close', end);
    ctx.shutdown.addEventListener('abort', end, { once: true });
    session.revoked.addEventListener('abort', end, { once: true });
    sink.open(end);
  });
}
