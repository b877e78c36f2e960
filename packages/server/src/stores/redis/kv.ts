import type { KvEntry, KvStore, PutOptions } from '@leasehold/core';
import { indexOldKeys, kvEntries, listStart } from './kv-index.js';
import { deleteScript, listKeysScript, putArgs, putScript } from './kv-scripts.js';
import type { Reply } from './replies.js';
import { putRefusal, text } from './replies.js';
import type { ScriptRunner } from './script-runner.js';

/** The keys of a `lock.redis` store: one hash per key, and the sorted set `kvs` that lists them. */
export class RedisKv implements KvStore {
  constructor(private readonly redis: ScriptRunner) {}

  /** Builds the listing index once for keys written before it existed. */
  start(): Promise<void> {
    return indexOldKeys(this.redis.command, this.redis.prefix);
  }

  async put(options: PutOptions): Promise<{ version: number; revision: number }> {
    const reply = (await this.redis.script('put', putScript, ...putArgs(options))) as Reply;
    if (reply[0] === 'ok') return { version: Number(reply[1]), revision: Number(reply[2]) };
    throw putRefusal(reply[0], options, reply[1]);
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const { command, prefix } = this.redis;
    const row = await this.redis.call('get', () => command.hgetall(`${prefix}kv:${key}`));
    if (row.version === undefined) return undefined;
    const [leaseId, app] = [text(row.lease), text(row.app)];
    return {
      key,
      value: row.value ?? '',
      version: Number(row.version),
      revision: Number(row.rev),
      ...(leaseId === undefined ? {} : { leaseId }),
      ...(leaseId === undefined || app === undefined ? {} : { app }),
    };
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.script('delete', deleteScript, key)) === 1;
  }

  async list(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]> {
    const start = listStart(prefix, after);
    return kvEntries(await this.redis.script('listKeys', listKeysScript, prefix, start, limit));
  }
}
