import { LeaseholdError, invalidArgument } from '../errors.js';
import { idempotencyOf, readIdempotencyKey } from '../idempotency.js';
import type { KeyScope } from '../key-scope.js';
import { WELL_FORMED, checkInteger, checkOptionalInteger } from '../limits.js';
import { asBody, readName, readOptionalLeaseId } from '../service/arguments.js';
import { checkKvQuota } from '../service/quota-checks.js';
import type { ServiceContext } from '../service/service-context.js';
import { capability } from '../store.js';
import type { Caller } from '../tenancy.js';
import { leaseAppOf, visibleLock } from '../tenancy.js';
import type { Fence, KvEntry } from '../types.js';
import type { KvPage } from './kv-list.js';
import { listKeyPage, parseKvListQuery } from './kv-list.js';

/**
 * Keys and values, checked and scoped: a put may bind its key to one of the caller's leases, and
 * may be version-checked and fenced by a lock's grant; quotas count keys and value bytes.
 */
export class KvService {
  constructor(private readonly context: ServiceContext) {}

  /**
   * Writes a value, optionally bound to one of the caller's leases, version-checked and fenced; with
   * an `idempotencyKey`, at most once per key within IDEMPOTENCY_WINDOW_MS (a repeat replays the first).
   */
  async put(
    caller: Caller,
    storeName: string,
    body: unknown,
  ): Promise<{ version: number; revision: number }> {
    const { context } = this;
    const binding = context.target(caller, storeName, 'put');
    const scope = context.scopeOf(caller, binding);
    const input = asBody(body);
    const key = readName(context.limits, 'key', input.key);
    const value = this.value(input.value);
    const leaseId = readOptionalLeaseId(input.leaseId);
    const ifVersion = checkOptionalInteger('ifVersion', input.ifVersion, 0, Number.MAX_SAFE_INTEGER);
    const fence = this.fence(input.fence, scope);
    const request = { value, leaseId, ifVersion, fence };
    const idempotency = idempotencyOf(
      caller.appId,
      'kv.put',
      scope.kv(key),
      readIdempotencyKey(input.idempotencyKey),
      request,
    );
    const checked = checkKvQuota(context, caller, binding, scope.kv(key), Buffer.byteLength(value, 'utf8'));
    if (checked) await checked;
    return capability(binding.store, 'kv', binding.name).put({
      key: scope.kv(key),
      value,
      app: leaseAppOf(caller),
      ...(leaseId === undefined ? {} : { leaseId }),
      ...(ifVersion === undefined ? {} : { ifVersion }),
      ...(fence === undefined ? {} : { fence }),
      ...(idempotency === undefined ? {} : { idempotency }),
    });
  }

  /** Reads a value; KEY_NOT_FOUND when absent. Another app's binding lease is not named. */
  async get(caller: Caller, storeName: string, key: unknown): Promise<KvEntry> {
    const binding = this.context.target(caller, storeName, 'get');
    const checked = readName(this.context.limits, 'key', key);
    const kv = capability(binding.store, 'kv', binding.name);
    const entry = await kv.get(this.context.scopeOf(caller, binding).kv(checked));
    if (!entry) throw keyNotFound(checked);
    return visibleLock(caller, { ...entry, key: checked });
  }

  /** Lists the caller's keys under a name prefix a page at a time (`{prefix, after, limit}`, see kv-list). */
  async list(caller: Caller, storeName: string, query: unknown): Promise<KvPage> {
    const binding = this.context.target(caller, storeName, 'listKeys');
    const input = parseKvListQuery(query, this.context.limits.nameMaxBytes);
    return listKeyPage(binding, this.context.scopeOf(caller, binding), caller, input);
  }

  /** Deletes a value; KEY_NOT_FOUND when absent. */
  async delete(caller: Caller, storeName: string, key: unknown): Promise<{ deleted: true }> {
    const binding = this.context.target(caller, storeName, 'delete');
    const checked = readName(this.context.limits, 'key', key);
    const kv = capability(binding.store, 'kv', binding.name);
    if (!(await kv.delete(this.context.scopeOf(caller, binding).kv(checked)))) throw keyNotFound(checked);
    return { deleted: true };
  }

  /** A value: well-formed text within the value limit. */
  private value(value: unknown): string {
    if (typeof value !== 'string') throw invalidArgument('value', 'must be a string');
    if (!value.isWellFormed()) throw invalidArgument('value', WELL_FORMED);
    const bytes = Buffer.byteLength(value, 'utf8');
    const max = this.context.limits.valueMaxBytes;
    if (bytes > max) throw invalidArgument('value', `must be at most ${max} bytes, got ${bytes}`);
    return value;
  }

  /** A put's fence `{lock | semaphore | rwlock, token}`, naming it in the caller's scope. */
  private fence(value: unknown, scope: KeyScope): Fence | undefined {
    if (value === undefined || value === null) return undefined;
    const input = asBody(value);
    const token = checkInteger('fence.token', input.token, 0, Number.MAX_SAFE_INTEGER);
    if (input.semaphore !== undefined && input.lock === undefined) {
      const semaphore = readName(this.context.limits, 'fence.semaphore', input.semaphore);
      return { key: scope.semaphore(semaphore), token };
    }
    if (input.rwlock !== undefined && input.lock === undefined) {
      const rwlock = readName(this.context.limits, 'fence.rwlock', input.rwlock);
      return { key: scope.rwlock(rwlock), token };
    }
    const lock = readName(this.context.limits, 'fence.lock', input.lock);
    return { key: scope.lock(lock), token };
  }
}

function keyNotFound(key: string): LeaseholdError {
  return new LeaseholdError('KEY_NOT_FOUND', `key: ${key} not found`, { field: 'key' });
}
