import type { IKeyValue } from 'etcd3';
import { request } from './etcd-connection.js';
import type { EtcdConnection } from './etcd-connection.js';
import type { EtcdKeys } from './etcd-keys.js';
import { prefixEnd } from './etcd-keys.js';
import { etcdLeaseIdOf, isPublicLeaseId, publicIdPrefix } from './etcd-lease-id.js';
import type { LeaseRecord } from './lease-record.js';
import { decodeLease } from './lease-record.js';

/** The facts of a lease that never change: its ids and its record, without the `revoking` mark. */
export interface LeaseFacts extends Omit<LeaseRecord, 'revoking'> {
  readonly id: string;
  readonly etcdId: string;
}

const CACHE_LIMIT = 10_000;

/**
 * Finds lease records by public id or by etcd lease id, through a bounded cache of what never
 * changes about a lease (ids, app, owner, TTL asked for). A cached lease may have ended since:
 * callers learn liveness from etcd itself (a keep-alive, a transaction compare), never from here.
 */
export class LeaseDirectory {
  private readonly byId = new Map<string, LeaseFacts>();
  private readonly byEtcdId = new Map<string, LeaseFacts>();

  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: EtcdKeys,
    private readonly limit = CACHE_LIMIT,
  ) {}

  /** Caches the facts of a lease (a grant, or a record seen on a watch). */
  remember(facts: LeaseFacts): void {
    this.byId.delete(facts.id);
    this.byId.set(facts.id, facts);
    this.byEtcdId.set(facts.etcdId, facts);
    for (const [id, oldest] of this.byId) {
      if (this.byId.size <= this.limit) break;
      this.byId.delete(id);
      if (this.byEtcdId.get(oldest.etcdId) === oldest) this.byEtcdId.delete(oldest.etcdId);
    }
  }

  /** The facts of a record key and value, cached; undefined for a foreign value. */
  learn(id: string, value: Buffer | undefined): LeaseFacts | undefined {
    const etcdId = etcdLeaseIdOf(id);
    const record = decodeLease(value);
    if (etcdId === undefined || !record) return undefined;
    const { revoking: _revoking, ...rest } = record;
    const facts: LeaseFacts = { ...rest, id, etcdId };
    this.remember(facts);
    return facts;
  }

  /** The lease whose public id is `id`: a wrong nonce finds nothing. */
  async find(id: string): Promise<LeaseFacts | undefined> {
    const cached = this.byId.get(id);
    if (cached) return cached;
    if (etcdLeaseIdOf(id) === undefined) return undefined;
    const response = await this.conn.range('lease', { key: this.keys.lease(id) });
    return this.learn(id, response.kvs[0]?.value);
  }

  /**
   * The lease behind etcd lease `etcdId`, as it was at `revision` when given (an event's, to name
   * the lease of a key deleted with it); undefined when there is none, or that history is compacted.
   */
  async findByEtcdId(etcdId: string, revision?: number): Promise<LeaseFacts | undefined> {
    const cached = this.byEtcdId.get(etcdId);
    if (cached) return cached;
    const records = this.keys.leaseRecords(publicIdPrefix(etcdId));
    const at = revision === undefined ? {} : { revision };
    const response = await this.conn.txn(
      'lease',
      [],
      [
        request.get(records, { range_end: prefixEnd(records), ...at }),
        request.get(this.keys.lease(etcdId), at),
      ],
    );
    const kvs: IKeyValue[] = response.responses.flatMap((r) => r.response_range.kvs);
    for (const kv of kvs) {
      const id = this.keys.parse(kv.key)?.key;
      const current = id !== undefined && isPublicLeaseId(id);
      if (id !== undefined && etcdLeaseIdOf(id) === etcdId && (current || id === etcdId)) {
        return this.learn(id, kv.value);
      }
    }
    return undefined;
  }
}
