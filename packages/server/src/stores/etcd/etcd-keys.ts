import { createHash } from 'node:crypto';
import { scopeOfKey } from '@leasehold/core';

/**
 * The key layout of one store inside etcd. Every family gets a one-letter folder under the
 * namespace so a prefix range over one family never sees another:
 *   l/<leaseId>                  lease record (ttl, owner, app), attached to the lease
 *   a/<b64 app>/l/<leaseId>      the app's index of its leases, attached to the lease
 *   a/<b64 app>/k/<key>          the app's index of its locks, attached to the holder's lease
 *   k/<key>                      lock; create revision = fencing token, attached to the holder's lease
 *   q/<b64 key>/<leaseId>        waiter queue entry, attached to the waiter's lease; create revision = turn
 *   v/<key>                      kv entry, optionally attached to a lease
 *   s/<b64 scope>/<hash of key>  the value's UTF-8 size, on the kv entry's lease: keys and bytes by scope
 *   c/<name>                     counter
 *   n/<b64 scope>/<hash of name> marks a counter: counters by scope
 *   i/<hash of key>              an idempotency key's first result, on a shared lease (idempotency-lease.ts)
 *   p/<b64 key>/meta             semaphore pool {kind, limit, explicit}; every grant puts it (its CAS)
 *   p/<b64 key>/h/<leaseId>      a permit grant, on the holder's lease; create revision + slot = token
 *   p/<b64 key>/h/<leaseId>/read the read grant a downgrade made (its write grant's key goes in the same txn)
 *   p/<b64 key>/q/<leaseId>      a permit waiter, on the waiter's lease; create revision = turn
 *   m/<key>                      names a pool, written and deleted with its meta: list by prefix
 * `<leaseId>` is the public id, nonce included, so a key compare on it checks the nonce. Folders
 * named after an app, a lock key or a scope are base64url, so the folder of `a` never contains that
 * of `a/b`, and the shared scope ('') has a folder of its own.
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

  /** The record of an idempotency key (already scoped by app, op and target). */
  idempotency(key: string): Buffer {
    return Buffer.from(`${this.ns}i/${digest(key)}`);
  }

  /** The lease record of a lease. */
  lease(leaseId: string): Buffer {
    return Buffer.from(`${this.ns}l/${leaseId}`);
  }

  /** The folder of every record of the leases of etcd lease `hexPrefix` (see publicIdPrefix). */
  leaseRecords(hexPrefix: string): Buffer {
    return Buffer.from(`${this.ns}l/${hexPrefix}`);
  }

  /** The app's index entry of one of its leases. */
  appLease(app: string, leaseId: string): Buffer {
    return Buffer.from(`${this.appFolder(app)}l/${leaseId}`);
  }

  /** The folder of an app's lease index. */
  appLeases(app: string): Buffer {
    return Buffer.from(`${this.appFolder(app)}l/`);
  }

  /** The app's index entry of a lock its lease holds. */
  appLock(app: string, key: string): Buffer {
    return Buffer.from(`${this.appFolder(app)}k/${key}`);
  }

  /** The folder of an app's lock index. */
  appLocks(app: string): Buffer {
    return Buffer.from(`${this.appFolder(app)}k/`);
  }

  /** The size entry of a kv store key, in its scope's folder. */
  valueSize(key: string): Buffer {
    return Buffer.from(`${this.valueSizes(scopeOfKey(key)).toString()}${digest(key)}`);
  }

  /** The folder of the size entries of one key scope. */
  valueSizes(scope: string): Buffer {
    return Buffer.from(`${this.ns}s/${encode(scope)}/`);
  }

  /** The mark of a counter, in its scope's folder. */
  counterMark(name: string): Buffer {
    return Buffer.from(`${this.counterMarks(scopeOfKey(name)).toString()}${digest(name)}`);
  }

  /** The folder of the counter marks of one key scope. */
  counterMarks(scope: string): Buffer {
    return Buffer.from(`${this.ns}n/${encode(scope)}/`);
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
    return Buffer.from(`${this.ns}q/${encode(key)}/`);
  }

  /** One waiter's entry in a lock's queue. */
  queueEntry(key: string, leaseId: string): Buffer {
    return Buffer.concat([this.queue(key), Buffer.from(leaseId)]);
  }

  /** The folder of a semaphore pool: its meta, holders and queue. */
  pool(key: string): Buffer {
    return Buffer.from(`${this.ns}p/${encode(key)}/`);
  }

  /** A pool's meta key. */
  poolMeta(key: string): Buffer {
    return Buffer.from(`${this.pool(key).toString()}meta`);
  }

  /** The folder of a pool's holders. */
  poolHolders(key: string): Buffer {
    return Buffer.from(`${this.pool(key).toString()}h/`);
  }

  /** One lease's grant in a pool. */
  poolHolder(key: string, leaseId: string): Buffer {
    return Buffer.from(`${this.pool(key).toString()}h/${leaseId}`);
  }

  /**
   * The read grant a read/write lock's downgrade writes: a key apart from the write grant's, since
   * one transaction cannot delete and put one key, and the read needs a create revision (token) of
   * its own.
   */
  poolDowngraded(key: string, leaseId: string): Buffer {
    return Buffer.from(`${this.pool(key).toString()}h/${leaseId}/read`);
  }

  /**
   * The range of one lease's grant keys in a pool (poolHolder and poolDowngraded). Lease ids are hex
   * or decimal digits, all above '/', so no other lease's key falls inside.
   */
  poolLeaseHolders(key: string, leaseId: string): { key: Buffer; rangeEnd: Buffer } {
    return { key: this.poolHolder(key, leaseId), rangeEnd: prefixEnd(this.poolDowngraded(key, leaseId)) };
  }

  /** The folder of a pool's queue. */
  poolQueue(key: string): Buffer {
    return Buffer.from(`${this.pool(key).toString()}q/`);
  }

  /** One lease's place in a pool's queue. */
  poolQueueEntry(key: string, leaseId: string): Buffer {
    return Buffer.from(`${this.pool(key).toString()}q/${leaseId}`);
  }

  /** The name entry of a pool (its store key in the clear, so a prefix range lists pools). */
  poolName(key: string): Buffer {
    return Buffer.from(`${this.ns}m/${key}`);
  }

  /** The store key of a physical pool name entry. */
  poolNameOf(physical: Buffer): string {
    return physical.toString().slice(this.ns.length + 2);
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
  parse(physical: Buffer): { family: 'lock' | 'value' | 'lease' | 'permit'; key: string } | undefined {
    const text = physical.toString();
    if (!text.startsWith(this.ns)) return undefined;
    const rest = text.slice(this.ns.length);
    if (rest.startsWith('k/')) return { family: 'lock', key: rest.slice(2) };
    if (rest.startsWith('v/')) return { family: 'value', key: rest.slice(2) };
    if (rest.startsWith('l/')) return { family: 'lease', key: rest.slice(2) };
    if (rest.startsWith('p/')) return parseHolder(rest.slice(2));
    return undefined;
  }

  private appFolder(app: string): string {
    return `${this.ns}a/${encode(app)}/`;
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

/** `<b64 key>/h/<leaseId>` as a permit family key; meta and queue keys are no family. */
function parseHolder(rest: string): { family: 'permit'; key: string } | undefined {
  const slash = rest.indexOf('/');
  if (slash < 0 || !rest.startsWith('h/', slash + 1)) return undefined;
  return { family: 'permit', key: Buffer.from(rest.slice(0, slash), 'base64url').toString() };
}

function encode(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A short fixed-width name for a key up to 1 KiB long: index ranges then carry little besides values. */
function digest(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
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
