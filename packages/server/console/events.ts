import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';

/** One watch event as the server sends it in an SSE frame's data. */
export interface FeedEvent {
  type: string;
  key: string;
  revision: number;
  kind?: string;
  app?: string;
  space?: string;
  leaseId?: string;
  fencingToken?: number;
  /** A semaphore grant's permits; a read/write lock grant's mode. */
  permits?: number;
  mode?: 'read' | 'write';
}

/** What a watch stream reports to the console. */
export interface StreamHandlers {
  onEvent(event: FeedEvent): void;
  onState(state: 'live' | 'retrying' | 'refused', detail?: string): void;
}

/**
 * Follows `GET /v1/{store}/watch` with fetch (EventSource cannot send the token header), parsed
 * by eventsource-parser. Reconnects after a drop, resuming from the last event id it saw.
 */
export function followWatch(url: string, headers: () => Record<string, string>, on: StreamHandlers) {
  const controller = new AbortController();
  let lastId: string | undefined;
  const run = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        const response = await fetch(url, {
          headers: { ...headers(), ...(lastId === undefined ? {} : { 'last-event-id': lastId }) },
          signal: controller.signal,
        });
        if (response.status === 401 || response.status === 403) {
          on.onState('refused', await response.text());
          return;
        }
        if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
        on.onState('live');
        const parser = createParser({
          onEvent: (message: EventSourceMessage) => {
            if (message.id !== undefined) lastId = message.id;
            on.onEvent(JSON.parse(message.data) as FeedEvent);
          },
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        on.onState('retrying', error instanceof Error ? error.message : String(error));
      }
      if (!controller.signal.aborted) on.onState('retrying');
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  };
  void run();
  return () => controller.abort();
}
