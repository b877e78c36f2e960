/**
 * The key layout of one store inside etcd. Every family gets a one-letter folder under the
 * namespace so a prefix range over one family never sees another:
 *   l/<leaseId>            lease record (owner, ttl), attached to the lease
 *   k/<key>                lock; create revision = fencing token, attached to the holder's lease
 *   q/<base64url key>/<lease> waiter queue entry, attached to the waiter's lease; create revision = turn
 *   v/<key>                kv entry, optionally attached to a lease
 *   c/<name>               counter
 * Queue folders encode the lock key so that the queue of `a` never contains the queue of `a/b`.
 */
export class EtcdKeys {
  private readonly ns: string;

  constructor(namespace: string) {
    this.ns = namespace;
  }

  /** The whole namespace as a range start. */
  get root(): Buffer {
    return Buffer.from(this.ns);
  }

  /** The lease record of a lease. */
  lease(leaseId: string): Buffer {
    return Buffer.from(`${this.ns}l/${leaseId}`);
  }

  /** The lock key of a store key. */
  lock(key: string): Buffer {
    return Buffer.from(`${this.ns}k/${key}`);
  }

  /** The folder of every lock's queue. */
  queueRoot(): Buffer {
    return Buffer.from(`${this.ns}q/`);
  }

  /** The queue folder of a lock. */
  queue(key: string): Buffer {
    return Buffer.from(`${this.ns}q/${Buffer.from(key).toString('base64url')}/`);
  }

  /** One waiter's entry in a lock's queue. */
  queueEntry(key: string, leaseId: string): Buffer {
    return Buffer.concat([this.queue(key), Buffer.from(leaseId)]);
  }

  /** A kv entry. */
  value(key: string): Buffer {
    return Buffer.from(`${this.ns}v/${key}`);
  }

  /** A counter. */
  counter(name: string): Buffer {
    return Buffer.from(`${this.ns}c/${name}`);
  }

  /** The store key (or lease id) of a physical lock, kv or lease-record key; undefined for other families. */
  parse(physical: Buffer): { family: 'lock' | 'value' | 'lease'; key: string } | undefined {
    const text = physical.toString();
    if (!text.startsWith(this.ns)) return undefined;
    const rest = text.slice(this.ns.length);
    if (rest.startsWith('k/')) return { family: 'lock', key: rest.slice(2) };
    if (rest.startsWith('v/')) return { family: 'value', key: rest.slice(2) };
    if (rest.startsWith('l/')) return { family: 'lease', key: rest.slice(2) };
    return undefined;
  }

  /** The store key of a physical lock key. */
  lockName(physical: Buffer): string {
    return physical.toString().slice(this.ns.length + 2);
  }

  /** The store key of a physical kv key. */
  valueName(physical: Buffer): string {
    return physical.toString().slice(this.ns.length + 2);
  }
}

/** The end of the range of every key starting with `prefix` (etcd's prefix convention). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  // An all-0xff prefix: every key above it, etcd's "\0" range end.
  return Buffer.from([0]);
}
