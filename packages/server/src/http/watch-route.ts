import type { WatchView } from '@leasehold/core';
import { checkInteger } from '@leasehold/core';
import type { FastifyInstance } from 'fastify';
import { tokenFromHeaders } from '../auth.js';
import type { HttpContext } from './context.js';

const HEARTBEAT_MS = 15_000;

function frame(event: WatchView): string {
  return `id: ${event.revision}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * `GET /v1/{store}/watch?prefix=` as Server-Sent Events. Each event's id is its revision, so a
 * client resumes with `Last-Event-ID` (or `?afterRevision=`) from the retained history.
 */
export function registerWatchRoute(app: FastifyInstance, ctx: HttpContext): void {
  app.get<{
    Params: { store: string };
    Querystring: { prefix?: string; afterRevision?: string; apps?: string };
  }>('/v1/:store/watch', (request, reply) => {
    const resumeFrom = request.headers['last-event-id'] ?? request.query.afterRevision;
    const afterRevision =
      resumeFrom === undefined || resumeFrom === ''
        ? undefined
        : checkInteger(
            'Last-Event-ID',
            /^\d+$/.test(String(resumeFrom)) ? Number(resumeFrom) : resumeFrom,
            0,
            Number.MAX_SAFE_INTEGER,
          );
    let pending: string[] | undefined = [];
    const write = (event: WatchView) => {
      const text = frame(event);
      if (pending) pending.push(text);
      else reply.raw.write(text);
    };
    // Subscribing validates the store and prefix; errors are still ordinary JSON replies here.
    // `apps=all` is an admin's feed of every app (the console's), named per key space.
    const unsubscribe =
      request.query.apps === 'all'
        ? ctx.service.watch.subscribeAll(request.caller, request.params.store, afterRevision, write)
        : ctx.service.watch.subscribe(
            request.caller,
            request.params.store,
            request.query.prefix ?? '',
            afterRevision,
            write,
          );
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    reply.raw.write(': watching\n\n');
    for (const text of pending) reply.raw.write(text);
    pending = undefined;
    const heartbeat = setInterval(() => reply.raw.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    // A token reload that drops this watch's token ends the watch, as shutdown does.
    const session = ctx.auth.track(tokenFromHeaders(request.headers), request.caller);
    const end = () => {
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
  });
}
