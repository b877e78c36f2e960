import type { Etcd3, IDuplexStream, IEvent, IWatchRequest, IWatchResponse } from 'etcd3';

/** One watched key or range and where its events go. */
export interface WatchSpec {
  readonly key: Buffer;
  readonly rangeEnd?: Buffer;
  /** The first revision to report; earlier changes are history the caller already read. */
  readonly startRevision: number;
  readonly prevKv?: boolean;
  /** Only deletions (etcd's NOPUT filter). */
  readonly deletesOnly?: boolean;
  /** etcd registered the watch (again, after a reconnect); events after `revision` will follow. */
  readonly onCreated?: (revision: number) => void;
  /** Events of one revision batch, in revision order. */
  readonly onEvents: (events: IEvent[]) => void;
  /**
   * etcd cancelled the watch; no more events will come. `compactRevision` is set (above 0) when
   * the start revision was compacted: it is the oldest revision etcd can still watch from.
   */
  readonly onCancel?: (reason: string, compactRevision: number) => void;
}

interface Registration {
  readonly id: number;
  readonly spec: WatchSpec;
  nextRevision: number;
}

const NOPUT = 0;
const RETRY_MS = [50, 100, 250, 500, 1_000];

/**
 * Every watch of a store over one gRPC watch stream. Watch ids are chosen here (etcd ≥ 3.4 accepts
 * them), so creating a watch never waits for etcd's answer; with a start revision no event is missed.
 * When the stream breaks (its member died), a new stream re-creates each watch from the revision
 * after the last one it delivered, so waiters ride through member loss.
 */
export class WatchMux {
  private readonly registrations = new Map<number, Registration>();
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  private connecting = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly client: Etcd3) {}

  /** Starts a watch; the returned function stops it. */
  watch(spec: WatchSpec): () => void {
    const registration: Registration = { id: this.nextId++, spec, nextRevision: spec.startRevision };
    this.registrations.set(registration.id, registration);
    if (this.stream) this.create(this.stream, registration);
    else this.connect();
    return () => {
      if (!this.registrations.delete(registration.id)) return;
      this.stream?.write({ cancel_request: { watch_id: registration.id } });
    };
  }

  /** Ends every watch and the stream. */
  close(): void {
    this.closed = true;
    this.registrations.clear();
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.stream = undefined;
  }

  private connect(): void {
    if (this.connecting || this.stream || this.closed) return;
    this.connecting = true;
    this.client.watchClient.watch().then(
      (stream) => {
        this.connecting = false;
        if (this.closed) return stream.cancel();
        this.stream = stream;
        stream.on('data', (response) => this.dispatch(response));
        stream.on('error', () => this.lost(stream));
        stream.on('end', () => this.lost(stream));
        for (const registration of this.registrations.values()) this.create(stream, registration);
      },
      () => {
        this.connecting = false;
        this.retry();
      },
    );
  }

  private create(stream: IDuplexStream<IWatchRequest, IWatchResponse>, registration: Registration): void {
    const { spec } = registration;
    stream.write({
      create_request: {
        key: spec.key,
        ...(spec.rangeEnd ? { range_end: spec.rangeEnd } : {}),
        start_revision: registration.nextRevision,
        prev_kv: spec.prevKv === true,
        ...(spec.deletesOnly ? { filters: [NOPUT] } : {}),
        watch_id: registration.id,
      },
    });
  }

  private dispatch(response: IWatchResponse): void {
    this.failures = 0;
    const registration = this.registrations.get(Number(response.watch_id));
    if (!registration) return;
    if (response.created && registration.nextRevision === 0) {
      // A watch "from now": pin "now" so a re-created watch resumes there, not later.
      registration.nextRevision = Number(response.header.revision) + 1;
    }
    if (response.created && !response.canceled) {
      registration.spec.onCreated?.(Number(response.header.revision));
    }
    if (response.canceled) {
      this.registrations.delete(registration.id);
      const compacted = Number(response.compact_revision ?? 0);
      registration.spec.onCancel?.(response.cancel_reason || 'watch cancelled by etcd', compacted);
      return;
    }
    const last = response.events.at(-1);
    if (!last) return;
    registration.nextRevision = Number(last.kv.mod_revision) + 1;
    registration.spec.onEvents(response.events);
  }

  private lost(stream: IDuplexStream<IWatchRequest, IWatchResponse>): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    stream.cancel();
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.registrations.size > 0) this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
