import type { Redis } from 'ioredis';
import type { RetainedHistory, Unsubscribe, WatchEvent, WatchOptions, WatchStore } from '@leasehold/core';
import { LeaseholdError, resumeWatch, WatchHub } from '@leasehold/core';
import { watchEvent } from './replies.js';

type StreamEntry = [id: string, fields: string[]];

/**
 * The change feed of a `lock.redis` store. The scripts append each event to the capped stream
 * `history` (id = revision), so the history is Redis's, the same for every server. Live events are
 * read from that same stream by one loop per server (`XREAD BLOCK` on a connection of its own,
 * ADR 0019): a watch starts after the stream's last entry is known, then reads the stream after its
 * revision, and `resumeWatch` joins the two by revision. A resume from before the stream's first
 * entry ends with `WatchCompactedError`; a lost reader (connection closed) or a gap in the
 * revisions read (the loop fell behind the trimming) ends every watch with `UNAVAILABLE`, to be
 * resumed from its last revision.
 */
export class RedisWatch implements WatchStore {
  private readonly hub = new WatchHub(0);
  private readonly historyKey: string;
  private readonly revisionKey: string;
  private readonly failures = new Set<(error: LeaseholdError) => void>();
  private reading: Promise<void> | undefined;
  /** Bumped to stop the running loop (a reader lost, or close). */
  private generation = 0;

  constructor(
    prefix: string,
    private readonly reader: Redis,
    private readonly command: Redis,
    private readonly blockMs: number,
  ) {
    this.historyKey = `${prefix}history`;
    this.revisionKey = `${prefix}rev`;
    reader.on('close', () => this.lost());
  }

  /** Streams changes; resumes from Redis's own history, so on any server. */
  subscribe(options: WatchOptions): Unsubscribe {
    return resumeWatch(options, {
      live: (onEvent, fail) => {
        const stop = this.hub.subscribe({ prefix: options.prefix, onEvent });
        this.failures.add(fail);
        return {
          ready: this.started(),
          stop: () => {
            this.failures.delete(fail);
            stop();
          },
        };
      },
      history: (afterRevision) => this.history(afterRevision),
    });
  }

  /** Ends every watch and the reading loop. */
  close(): void {
    this.generation++;
    this.failures.clear();
    this.hub.close();
  }

  /** The loop, started on first use: it reads on from the stream's last entry at that moment. */
  private started(): Promise<void> {
    this.reading ??= this.reader.xrevrange(this.historyKey, '+', '-', 'COUNT', 1).then(
      (last) => {
        void this.read(this.generation, last[0]?.[0] ?? '0-0', last[0] ? revisionOf(last[0][0]) : 0);
      },
      (error: unknown) => {
        this.reading = undefined;
        throw error;
      },
    );
    return this.reading;
  }

  /** Reads the stream after `lastId` until stopped; `revision` is the last one read. */
  private async read(generation: number, lastId: string, revision: number): Promise<void> {
    while (generation === this.generation) {
      let reply;
      try {
        reply = await this.reader.xread(
          'COUNT',
          1_000,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          this.historyKey,
          lastId,
        );
      } catch {
        if (generation === this.generation) this.lost();
        return;
      }
      if (generation !== this.generation) return;
      const events: WatchEvent[] = [];
      for (const [id, fields] of reply?.[0]?.[1] ?? []) {
        const next = revisionOf(id);
        // Every revision is one event: a jump means entries were trimmed before this loop read them.
        if (revision > 0 && next !== revision + 1) return this.lost();
        [lastId, revision] = [id, next];
        const event = fields[1] === undefined ? undefined : watchEvent(fields[1]);
        if (event) events.push(event);
      }
      if (events.length > 0) this.hub.publish(events);
    }
  }

  /** Events the loop did not read are lost to it: each watch must resume. */
  private lost(): void {
    this.generation++;
    this.reading = undefined;
    const error = new LeaseholdError(
      'UNAVAILABLE',
      'the Redis event stream reader was lost; resume from the last revision',
    );
    for (const fail of [...this.failures]) fail(error);
  }

  /**
   * The stream after `afterRevision`, its first entry and the revision counter, read atomically.
   * Revisions before the first entry were trimmed (or came before the stream): not retained.
   */
  private async history(afterRevision: number): Promise<RetainedHistory> {
    const replies = await this.command
      .multi()
      .xrange(this.historyKey, `${afterRevision + 1}`, '+')
      .xrange(this.historyKey, '-', '+', 'COUNT', 1)
      .get(this.revisionKey)
      .exec();
    const [after, first, revision] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const firstId = (first as StreamEntry[] | undefined)?.[0]?.[0];
    const forgottenThrough = firstId === undefined ? Number(revision ?? 0) : revisionOf(firstId) - 1;
    const events: WatchEvent[] = [];
    for (const [, fields] of (after as StreamEntry[] | undefined) ?? []) {
      const event = fields[1] === undefined ? undefined : watchEvent(fields[1]);
      if (event) events.push(event);
    }
    return { events, forgottenThrough };
  }
}

function revisionOf(streamId: string): number {
  return Number(streamId.split('-')[0]);
}
