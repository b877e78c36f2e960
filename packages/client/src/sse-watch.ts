import { backoffDelay, sleep } from './backoff.js';
import { ConnectionError } from './errors.js';
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
  const run = async () => {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream' };
        if (lastId !== undefined) headers['last-event-id'] = lastId;
        const response = await options.fetch(options.url, { headers, signal });
        if (!response.ok || !response.body) {
          throw new ConnectionError(`watch failed with HTTP ${response.status}: ${await response.text()}`);
        }
        attempt = 0;
        for await (const event of parseSse(response.body)) {
          if (event.id !== undefined) lastId = event.id;
          options.handlers.onEvent(event.event);
        }
      } catch (error) {
        if (signal.aborted) return;
        options.handlers.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
      await sleep(backoffDelay(attempt, 200, 5_000), signal).catch(() => undefined);
    }
  };
  void run();
  return () => stop.abort();
}

async function* parseSse(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ id: string | undefined; event: WatchEvent }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
      const parsed = parseBlock(block);
      if (parsed) yield parsed;
    }
  }
}

function parseBlock(block: string): { id: string | undefined; event: WatchEvent } | undefined {
  let id: string | undefined;
  let type: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'id') id = value;
    else if (name === 'event') type = value;
    else if (name === 'data') data.push(value);
  }
  if (data.length === 0) return undefined;
  const payload = JSON.parse(data.join('\n')) as Partial<WatchEvent>;
  const event = { ...payload, type: payload.type ?? type } as WatchEvent;
  return { id: id ?? (event.revision === undefined ? undefined : String(event.revision)), event };
}
