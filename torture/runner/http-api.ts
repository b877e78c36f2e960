import type { CallResult, ClientApi, PoolPrimitive, PoolRequest } from './client-api.js';
import { codeOf, errorResult } from './client-api.js';

/** The slack on top of a call's own wait before a request is given up as `unknown`. */
const REPLY_SLACK_MS = 5_000;

/** A JSON reply, or the reason there is none. */
type Answer = { ok: true; body: Json } | { ok: false; result: CallResult };

/** A parsed JSON object reply. */
type Json = Readonly<Record<string, unknown>>;

/**
 * The native API and the Dapr lock API over raw HTTP (`fetch`). With several servers, a request that
 * gets no answer moves the client to the next server (fail-over); the request itself stays `unknown`.
 */
export class HttpApi implements ClientApi {
  private current = 0;

  constructor(
    private readonly urls: readonly string[],
    private readonly store = 'lockstore',
  ) {}

  async grant(ttlMs: number, owner: string): Promise<CallResult> {
    const answer = await this.call('POST', '/leases', { ttlMs, owner });
    return answer.ok ? ok({ leaseId: text(answer.body.id) }) : answer.result;
  }

  async keepAlive(leaseId: string): Promise<CallResult> {
    const answer = await this.call('POST', `/leases/${leaseId}/keepalive`);
    return answer.ok ? ok({}) : answer.result;
  }

  async acquire(name: string, leaseId: string, waitMs: number): Promise<CallResult> {
    const answer = await this.call('POST', '/locks/acquire', { name, leaseId, waitMs }, waitMs);
    if (!answer.ok) return answer.result;
    if (answer.body.acquired !== true) return { outcome: 'fail', fields: { error: 'not_acquired' } };
    return ok({ token: num(answer.body.fencingToken) });
  }

  release(name: string, leaseId: string): Promise<CallResult> {
    return this.letGo('locks', name, leaseId);
  }

  async take(name: string, leaseId: string, waitMs: number, request: PoolRequest): Promise<CallResult> {
    const { primitive, ...asked } = request;
    const body = { name, leaseId, waitMs, ...asked };
    const answer = await this.call('POST', `/${primitive}/acquire`, body, waitMs);
    if (!answer.ok) return answer.result;
    if (answer.body.acquired !== true) return { outcome: 'fail', fields: { error: 'not_acquired' } };
    return ok({ token: num(answer.body.fencingToken) });
  }

  giveBack(primitive: PoolPrimitive, name: string, leaseId: string): Promise<CallResult> {
    return this.letGo(primitive, name, leaseId);
  }

  /** A release of a lock, a semaphore's permits or a read/write lock: `released`, else `fail` with the status. */
  private async letGo(primitive: 'locks' | PoolPrimitive, name: string, leaseId: string) {
    const answer = await this.call('POST', `/${primitive}/release`, { name, leaseId });
    if (!answer.ok) return answer.result;
    const status = text(answer.body.status) ?? 'no_status';
    return status === 'released' ? ok({}) : { outcome: 'fail' as const, fields: { error: status } };
  }

  async revoke(leaseId: string): Promise<CallResult> {
    const answer = await this.call('DELETE', `/leases/${leaseId}`);
    return answer.ok ? ok({}) : answer.result;
  }

  async put(key: string, value: string, name: string, token: number): Promise<CallResult> {
    const answer = await this.call('PUT', '/kv', { key, value, fence: { lock: name, token } });
    return answer.ok ? ok({ revision: num(answer.body.revision) }) : answer.result;
  }

  async read(key: string): Promise<CallResult> {
    const answer = await this.call('GET', `/kv?key=${encodeURIComponent(key)}`);
    if (answer.ok) return ok({ value: text(answer.body.value) ?? null, revision: num(answer.body.revision) });
    return answer.result.fields.error === 'KEY_NOT_FOUND' ? ok({ value: null }) : answer.result;
  }

  async describe(name: string): Promise<CallResult> {
    const answer = await this.call('GET', `/locks?name=${encodeURIComponent(name)}`);
    if (!answer.ok) return answer.result;
    return ok({ held: answer.body.held === true, token: num(answer.body.fencingToken) });
  }

  /** Dapr `TryLock` over HTTP: `ok` with the token on success, `fail` when another owner holds it. */
  async daprLock(resourceId: string, lockOwner: string, expiryInSeconds: number): Promise<CallResult> {
    const answer = await this.dapr('lock', { resourceId, lockOwner, expiryInSeconds });
    if (!answer.ok) return answer.result;
    if (answer.body.success !== true) return { outcome: 'fail', fields: { error: 'not_acquired' } };
    return ok({ token: num(answer.body.fencingToken) });
  }

  /** Dapr `Unlock` over HTTP: status 0 released, 1 no such lock, 2 another owner's, 3 internal error. */
  async daprUnlock(resourceId: string, lockOwner: string): Promise<CallResult> {
    const answer = await this.dapr('unlock', { resourceId, lockOwner });
    if (!answer.ok) return answer.result;
    const status = Number(answer.body.status);
    if (status === 0) return ok({});
    const error = ['success', 'lock_does_not_exist', 'lock_belongs_to_others'][status];
    return error
      ? { outcome: 'fail', fields: { error } }
      : { outcome: 'unknown', fields: { error: 'internal' } };
  }

  /** Raw HTTP has no automatic renewal to stop. */
  stopRenewing(): void {}

  async close(): Promise<void> {}

  /** The base URL requests go to now. */
  get url(): string {
    return this.urls[this.current]!;
  }

  private dapr(verb: 'lock' | 'unlock', body: object): Promise<Answer> {
    return this.request('POST', `${this.url}/v1.0-alpha1/${verb}/${this.store}`, body, 0);
  }

  private call(method: string, path: string, body?: object, waitMs = 0): Promise<Answer> {
    return this.request(method, `${this.url}/v1/${this.store}${path}`, body, waitMs);
  }

  private async request(
    method: string,
    url: string,
    body: object | undefined,
    waitMs: number,
  ): Promise<Answer> {
    let response: Response;
    let raw: string;
    try {
      response = await fetch(url, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(waitMs + REPLY_SLACK_MS),
      });
      raw = await response.text();
    } catch (error) {
      this.current = (this.current + 1) % this.urls.length;
      return { ok: false, result: errorResult(codeOf(error)) };
    }
    const parsed = parseJson(raw);
    if (response.ok) return { ok: true, body: parsed ?? {} };
    return {
      ok: false,
      result: errorResult(text(parsed?.errorCode) ?? `http_${response.status}`, response.status),
    };
  }
}

function ok(fields: CallResult['fields']): CallResult {
  return { outcome: 'ok', fields };
}

function parseJson(body: string): Json | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Json) : undefined;
  } catch {
    return undefined;
  }
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
