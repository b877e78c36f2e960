import { LeaseholdClient } from '@leasehold/client';
import type { Lease } from '@leasehold/client';
import type { CallResult, ClientApi, PoolPrimitive, PoolRequest } from './client-api.js';
import { codeOf, errorResult } from './client-api.js';

/**
 * The torture client's calls through the SDK over the client stream. The stream's heartbeat renews the
 * leases unseen, so only explicit keep-alives are recorded: the checker counts these leases' TTL from
 * the grant and the recorded keep-alives alone, which makes their windows shorter, never longer.
 * A call that gets no answer moves the client to the next server when there are several.
 */
export class SdkApi implements ClientApi {
  private client: LeaseholdClient;
  private current = 0;
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly urls: readonly string[]) {
    this.client = new LeaseholdClient({ url: urls[0]!, transport: 'stream' });
  }

  grant(ttlMs: number, owner: string): Promise<CallResult> {
    return this.run(async () => {
      const lease = await this.client.leases.grant({ ttlMs, owner, onLost: () => undefined });
      this.leases.set(lease.id, lease);
      return { leaseId: lease.id };
    });
  }

  keepAlive(leaseId: string): Promise<CallResult> {
    return this.run(async () => {
      await this.client.leases.keepAlive(leaseId);
      return {};
    });
  }

  acquire(name: string, leaseId: string, waitMs: number): Promise<CallResult> {
    return this.run(async () => {
      const lease = this.leases.get(leaseId) ?? leaseId;
      const lock =
        waitMs === 0
          ? await this.client.locks.tryAcquire(name, { lease: lease as Lease })
          : await this.client.locks.acquire(name, { lease: lease as Lease, waitMs });
      if (!lock.acquired) return 'not_acquired';
      return { token: lock.fencingToken };
    });
  }

  release(name: string, leaseId: string): Promise<CallResult> {
    return this.run(async () => {
      const status = await this.client.locks.release(name, { lease: leaseId });
      return status === 'released' ? {} : status;
    });
  }

  take(name: string, leaseId: string, waitMs: number, request: PoolRequest): Promise<CallResult> {
    return this.run(async () => {
      const lease = (this.leases.get(leaseId) ?? leaseId) as Lease;
      const handle =
        request.primitive === 'semaphores'
          ? await this.client.semaphores.acquire(name, {
              lease,
              waitMs,
              limit: request.limit,
              permits: request.permits,
            })
          : await this.client.rwlocks.acquire(name, { lease, waitMs, mode: request.mode });
      return handle.acquired ? { token: handle.fencingToken } : 'not_acquired';
    });
  }

  giveBack(primitive: PoolPrimitive, name: string, leaseId: string): Promise<CallResult> {
    return this.run(async () => {
      const status = await this.client[primitive].release(name, { lease: leaseId });
      return status === 'released' ? {} : status;
    });
  }

  revoke(leaseId: string): Promise<CallResult> {
    const lease = this.leases.get(leaseId);
    this.leases.delete(leaseId);
    return this.run(async () => {
      await this.client.leases.revoke(lease ?? leaseId, { timeoutMs: 5_000 });
      return {};
    });
  }

  put(key: string, value: string, name: string, token: number): Promise<CallResult> {
    return this.run(async () => {
      const reply = await this.client.kv.put(key, value, { fence: { lock: name, token } });
      return { revision: reply.revision };
    });
  }

  read(key: string): Promise<CallResult> {
    return this.run(async () => {
      try {
        const entry = await this.client.kv.get(key);
        return { value: entry.value, revision: entry.revision };
      } catch (error) {
        if (codeOf(error) === 'KEY_NOT_FOUND') return { value: null };
        throw error;
      }
    });
  }

  describe(name: string): Promise<CallResult> {
    return this.run(async () => {
      const lock = await this.client.locks.describe(name);
      return { held: lock.held, token: lock.fencingToken };
    });
  }

  stopRenewing(leaseId: string): void {
    this.leases.get(leaseId)?.stopRenewingAfter(0);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Runs one call: fields are `ok`, a string is a definite refusal, a throw is mapped by its code. */
  private async run(call: () => Promise<CallResult['fields'] | string>): Promise<CallResult> {
    try {
      const result = await call();
      return typeof result === 'string'
        ? { outcome: 'fail', fields: { error: result } }
        : { outcome: 'ok', fields: result };
    } catch (error) {
      const code = codeOf(error);
      if (code === 'UNAVAILABLE' || code === 'CLIENT_CLOSED') await this.failOver();
      return errorResult(code, (error as { status?: number }).status);
    }
  }

  /** Moves to the next server with a new client; the old one's leases lapse on the server. */
  private async failOver(): Promise<void> {
    if (this.urls.length < 2) return;
    const old = this.client;
    this.current = (this.current + 1) % this.urls.length;
    this.client = new LeaseholdClient({ url: this.urls[this.current]!, transport: 'stream' });
    this.leases.clear();
    await old.close().catch(() => undefined);
  }
}
