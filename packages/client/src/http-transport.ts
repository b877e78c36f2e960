import { Backoff, sleep } from './backoff.js';
import type { LeaseholdClientError } from './errors.js';
import { ClientClosedError, ConnectionError, errorFromCode } from './errors.js';
import { HttpRequester } from './http-request.js';
import type { ClientTlsOptions } from './tls-options.js';
import { hasTlsOptions } from './tls-options.js';
import type { HttpReply } from './http-request.js';
import { routeFor } from './http-routes.js';
import { watchOverSse } from './sse-watch.js';
import { TimerRenewer } from './timer-renewer.js';
import type { CallOptions, Op, Transport, WatchHandlers } from './transport.js';
import { NO_OPTIONS, abortReason, authHeaders, retryable } from './transport.js';

/** Settings of the HTTP transport. */
export interface HttpTransportOptions {
  readonly url: string;
  readonly store: string;
  readonly token?: string | undefined;
  /** With an admin token: the app whose key space to work in. */
  readonly actAs?: string | undefined;
  /** Attempts for idempotent calls that hit connection failures. */
  readonly maxAttempts?: number;
  /** The fetch used for watch (Server-Sent Events); defaults to the global one, or to one over
   * the request agent when `tls` is set. */
  readonly fetch?: typeof fetch;
  /** CA and client certificate for `https://` URLs. */
  readonly tls?: ClientTlsOptions;
}

/** The native HTTP API (DESIGN §4.3), one request per call. */
export class HttpTransport implements Transport {
  readonly kind = 'http' as const;
  readonly renewer: TimerRenewer;
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly requester: HttpRequester;
  private readonly closer = new AbortController();

  constructor(private readonly options: HttpTransportOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.requester = new HttpRequester(new URL(this.base), options.tls);
    const custom = options.tls !== undefined && hasTlsOptions(options.tls);
    this.fetchFn = options.fetch ?? (custom ? this.requester.fetch : fetch);
    this.renewer = new TimerRenewer((leaseId, timeoutMs) =>
      this.call<{ ttlMs: number }>('leases.keepAlive', { leaseId }, { timeoutMs, retry: false }),
    );
  }

  /** Headers carrying the token. */
  headers(json: boolean): Record<string, string> {
    const headers = authHeaders(this.options.token, this.options.actAs);
    if (json) headers['content-type'] = 'application/json';
    return headers;
  }

  async call<T>(op: Op, args: Record<string, unknown>, options: CallOptions = NO_OPTIONS): Promise<T> {
    const retry = options.retry !== false && retryable(op, args);
    const attempts = retry ? (this.options.maxAttempts ?? 5) : 1;
    const backoff = new Backoff(100, 2_000);
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.once(op, args, options)) as T;
      } catch (error) {
        if (!(error instanceof ConnectionError) || attempt + 1 >= attempts) throw error;
        await sleep(backoff.next(), this.closer.signal);
      }
    }
  }

  private async once(op: Op, args: Record<string, unknown>, options: CallOptions): Promise<unknown> {
    if (this.closer.signal.aborted) throw new ClientClosedError();
    const route = routeFor(op, this.options.store, args);
    const signals = [this.closer.signal];
    if (options.lease) signals.push(options.lease.signal);
    if (options.signal) signals.push(options.signal);
    if (options.timeoutMs !== undefined)
      signals.push(AbortSignal.timeout(Math.max(1, Math.ceil(options.timeoutMs))));
    let response: HttpReply;
    try {
      response = await this.requester.send(`${this.base}${route.path}`, {
        method: route.method,
        headers: this.headers(route.body !== undefined),
        ...(route.body === undefined ? {} : { body: JSON.stringify(route.body) }),
        signal: signals.length === 1 ? this.closer.signal : AbortSignal.any(signals),
      });
    } catch (error) {
      const aborted = abortReason(options);
      if (aborted !== undefined) throw aborted;
      if (this.closer.signal.aborted) throw new ClientClosedError();
      throw new ConnectionError(`${route.method} ${route.path} failed: ${describe(error)}`, { cause: error });
    }
    const { status, text } = response;
    if (status < 200 || status >= 300) throw replyError(status, text);
    const reply: unknown = text === '' ? {} : JSON.parse(text);
    return route.unwrap ? route.unwrap(reply) : reply;
  }

  watch(prefix: string, handlers: WatchHandlers, afterRevision?: number): () => void {
    const path = `/v1/${encodeURIComponent(this.options.store)}/watch?prefix=${encodeURIComponent(prefix)}`;
    return watchOverSse({
      url: `${this.base}${path}`,
      headers: this.headers(false),
      fetch: this.fetchFn,
      handlers,
      closed: this.closer.signal,
      ...(afterRevision === undefined ? {} : { afterRevision }),
    });
  }

  close(): Promise<void> {
    this.closer.abort();
    this.requester.close();
    return Promise.resolve();
  }
}

function replyError(status: number, text: string): LeaseholdClientError {
  try {
    const body = JSON.parse(text) as { errorCode?: unknown; message?: unknown };
    if (typeof body.errorCode === 'string') {
      return errorFromCode(
        body.errorCode,
        typeof body.message === 'string' ? body.message : body.errorCode,
        status,
      );
    }
  } catch {
    // not JSON: fall through to the status
  }
  const code = status === 401 ? 'ERR_UNAUTHORIZED' : `HTTP_${status}`;
  return errorFromCode(code, text.trim() || `HTTP ${status}`, status);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
