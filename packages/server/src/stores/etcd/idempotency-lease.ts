import { IDEMPOTENCY_WINDOW_MS, idempotencyKeyReused, storeError } from '@leasehold/core';
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import { compare, request } from './etcd-connection.js';
import type { EtcdConnection } from './etcd-connection.js';
import type { EtcdKeys } from './etcd-keys.js';

/** How long one shared lease takes new records: each record then lives between the window and this more. */
const ROTATE_MS = 60_000;

/**
 * The etcd lease the idempotency records of one minute share, with a TTL of the window plus that
 * minute: a record lives 10 to 11 minutes and costs no lease grant of its own. etcd deletes the
 * records with their lease, so nothing sweeps them.
 */
export class IdempotencyLease {
  private current: { readonly id: Promise<string>; readonly until: number } | undefined;

  constructor(private readonly conn: EtcdConnection) {}

  /** The lease new records go on (granted once a minute; a failed grant is tried again next time). */
  id(): Promise<string> {
    const now = Date.now();
    if (this.current === undefined || now >= this.current.until) {
      const ttl = Math.ceil((IDEMPOTENCY_WINDOW_MS + ROTATE_MS) / 1000);
      const id = this.conn.client.leaseClient.leaseGrant({ TTL: ttl }).then((granted) => granted.ID);
      const current = { id, until: now + ROTATE_MS };
      this.current = current;
      id.catch(() => {
        if (this.current === current) this.current = undefined;
      });
    }
    return this.current.id.catch((error: unknown) => {
      throw storeError('idempotency', error);
    });
  }
}

/** The compare, write and read a transaction adds for a key: absent before, then `<fingerprint> <result>`. */
export async function idempotencyOps(
  keys: EtcdKeys,
  lease: IdempotencyLease,
  key: string,
  record: string,
): Promise<{ compare: ICompare; write: IRequestOp; read: IRequestOp }> {
  const physical = keys.idempotency(key);
  return {
    compare: compare.created(physical, '=', 0),
    write: request.put(physical, record, await lease.id()),
    read: request.get(physical),
  };
}

/** The result part of a record seen under a key; IDEMPOTENCY_KEY_REUSED when its request differs. */
export function firstResult(record: IKeyValue, fingerprint: string): string {
  const text = record.value.toString();
  const space = text.indexOf(' ');
  if ((space < 0 ? text : text.slice(0, space)) !== fingerprint) throw idempotencyKeyReused();
  return space < 0 ? '' : text.slice(space + 1);
}
