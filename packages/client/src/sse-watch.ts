import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { EventSourceMessage } from 'eventsource-parser/stream';
import { Backoff, sleep } from './backoff.js';
import { ConnectionError, WatchCompactedError, watchErrorOf } from './errors.js';
import type { WatchEvent, WatchHandlers } from './transport.js';

/** Settings of one SSE watch. */
export interface SseWatchOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly fetch: typeof fetch;
  readonly handlers: WatchHandlers;
  readonly closed: AbortSignal;
  readonly afterRevision?: number;
}

/** Follows a Server-Sent-Events watch, resuming with Last-Event-ID after a drop. Returns the stop. */
export function watchOverSse(options: SseWatchOptions): () => void {
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, options.closed]);
  let lastId = options.afterRevision === undefined ? undefined : String(options.afterRevision);
  const backoff = new Backoff(200, 5_000);
  const run = async () => {
    while (!signal.aborted) {
      try {
        const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream' };
        if (lastId !== undefined) headers['last-event-id'] = lastId;
        const response = await options.fetch(options.url, { headers, signal });
        if (!response.ok || !response.body) {
          throw new ConnectionError(`watch failed with HTTP ${response.status}: ${await response.text()}`);
        }
        backoff.reset();
        for await (const event of parseSse(response.body)) {
          if ('ended' in event) throw event.ended;
          if (event.id !== undefined) lastId = event.id;
          options.handlers.onEvent(event.event);
        }
      } catch (error) {
        if (signal.aborted) return;
        options.handlers.onError?.(error instanceof Error ? error : new Error(String(error)));
        // A compacted history cannot be resumed by trying again: the watch ends here.
        if (error instanceof WatchCompactedError) return;
      }
      await sleep(backoff.next(), signal).catch(() => undefined);
    }
  };
  void run();
  return () => stop.abort();
}

/**
 * The watch events of an SSE body, each with the id to resume after, then the error that ended
 * it if the server sent one (`event: error`); parsing is eventsource-parser's.
 */
async function* parseSse(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ id: string | undefined; event: WatchEvent } | { ended: Error }> {
  const messages = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const message of messages as unknown as AsyncIterable<EventSourceMessage>) {
    if (message.data === '') continue;
    if (message.event === 'error') {
      yield { ended: watchErrorOf(JSON.parse(message.data) as Record<string, unknown>) };
      return;
    }
    const payload = JSON.parse(message.data) as Partial<WatchEvent>;
    const event = { ...payload, type: payload.type ?? message.event } as WatchEvent;
    const id = message.id ?? (event.revision === undefined ? undefined : String(event.revision));
    yield { id, event };
  }
}
