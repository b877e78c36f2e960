import { parseBlock } from '../../packages/server/test/support/sse-reader.js';
import type { WatchEventType } from '../history/history-op.js';
import type { HistoryRecorder } from '../history/history-recorder.js';
import { KV_PREFIX } from './hot-names.js';
import type { Prng } from './prng.js';

/** One parsed SSE block: its comments and its fields. */
type Block = ReturnType<typeof parseBlock>;

/**
 * An SSE watch on the clients' KV prefix that drops its connection now and then and resumes with
 * `Last-Event-ID`. Every connection is a new stream id; it records `watch.open` (acknowledged at
 * `: watching`), each `watch.event`, and a `watch.error` when the server ends the stream with one.
 */
export class WatchReader {
  private streams = 0;
  private lastRevision: number | undefined;
  private current = 0;

  constructor(
    private readonly process: string,
    private readonly urls: readonly string[],
    private readonly recorder: HistoryRecorder,
    private readonly rng: Prng,
  ) {}

  /** Watches until `deadlineMs`, each connection cut after a random 1–6 s. */
  async run(deadlineMs: number): Promise<void> {
    while (Date.now() < deadlineMs) {
      const cutAfterMs = Math.min(this.rng.int(1_000, 6_000), deadlineMs - Date.now());
      const live = await this.connection(Math.max(cutAfterMs, 0));
      // A connection that never went live may mean a server down: pause longer before the next.
      await new Promise((resolve) => setTimeout(resolve, this.rng.int(10, live ? 200 : 500)));
    }
  }

  /** One connection: open, read until the cut, an error event or the server's end; true if it went live. */
  private async connection(cutAfterMs: number): Promise<boolean> {
    const stream = `${this.process}-s${this.streams++}`;
    const resume = this.lastRevision;
    // Each connection picks a server, so a resume often lands on another one than the stream it follows.
    if (this.rng.chance(0.5)) this.current = this.rng.int(0, this.urls.length - 1);
    const url = `${this.urls[this.current]}/v1/lockstore/watch?prefix=${encodeURIComponent(KV_PREFIX)}`;
    const open = this.recorder.invoke(this.process, 'watch.open', {
      stream,
      key: KV_PREFIX,
      revision: resume,
    });
    let live = false;
    const controller = new AbortController();
    const cut = setTimeout(() => controller.abort(), cutAfterMs);
    try {
      const response = await fetch(url, {
        headers: resume === undefined ? {} : { 'last-event-id': String(resume) },
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        open('fail', { error: `http_${response.status}` });
        live = true;
        return false;
      }
      for await (const block of blocks(response.body)) {
        if (!live && block.comments.includes('watching')) {
          live = true;
          open('ok');
        }
        if (block.fields.data !== undefined && this.onData(stream, block.fields)) break;
      }
    } catch {
      // the cut, or the server went away: the next connection resumes from the last id
      if (!controller.signal.aborted) this.current = (this.current + 1) % this.urls.length;
    } finally {
      clearTimeout(cut);
      controller.abort();
      if (!live) open('unknown', { error: 'closed before watching' });
    }
    return live;
  }

  /** Records one data block; true when it was the error that ends the stream. */
  private onData(stream: string, fields: Record<string, string>): boolean {
    const data = JSON.parse(fields.data!) as Record<string, unknown>;
    if (fields.event === 'error') {
      const oldest = typeof data.oldestRevision === 'number' ? data.oldestRevision : undefined;
      this.recorder.instant(this.process, 'watch.error', {
        stream,
        error: String(data.errorCode),
        revision: oldest,
      });
      // A compacted resume cannot be served: start afresh; any other error resumes from the last id.
      if (data.errorCode === 'WATCH_COMPACTED') this.lastRevision = undefined;
      return true;
    }
    const revision = Number(fields.id);
    this.recorder.instant(this.process, 'watch.event', {
      stream,
      key: typeof data.key === 'string' ? data.key : undefined,
      revision,
      event: fields.event as WatchEventType,
      value: typeof data.value === 'string' ? data.value : fields.event === 'delete' ? null : undefined,
    });
    this.lastRevision = Math.max(this.lastRevision ?? 0, revision);
    return false;
  }
}

/** The SSE blocks of a response body, as they arrive. */
async function* blocks(body: ReadableStream<Uint8Array>): AsyncGenerator<Block> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      yield parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}
