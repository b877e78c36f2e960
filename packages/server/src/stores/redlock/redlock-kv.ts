import { LeaseholdError } from '@leasehold/core';
import type { KvEntry, PutOptions, WatchEvent } from '@leasehold/core';
import { kvEntries, listStart } from '../redis/kv-index.js';
import { deleteScript, listKeysScript, putScript } from '../redis/kv-scripts.js';
import { callerArg } from '../redis/lua-script.js';
import type { Answers, Masters } from './quorum.js';
import { median, mergeKeyPages, pickStatus } from './redlock-merge.js';
import { getKvScript } from './redlock-scripts.js';
import type { Reply } from '../redis/replies.js';
import { putRefusal, text } from '../redis/replies.js';
import { counterAddScript, counterSetScript } from '../redis/usage-scripts.js';

/**
 * Redlock's kv rows and counters: written to every master, acknowledged by a majority, read from a
 * majority. Not linearizable under failures (a refused or failed write may stay on a minority);
 * `emit` gets each change with the backend revision as a hint (0 when none).
 */
export class RedlockKv {
  constructor(
    private readonly masters: Masters,
    private readonly emit: (event: WatchEvent) => void,
  ) {}

  async put(options: PutOptions): Promise<{ version: number; revision: number }> {
    const { key, value, leaseId, ifVersion, fence, app } = options;
    const fenceArgs = [fence?.key ?? '', fence?.token ?? 0];
    const args = [key, value, leaseId ?? '', ifVersion ?? '', ...fenceArgs, callerArg(app)];
    const answers = (await this.masters.run(putScript, args)) as (Reply | undefined)[];
    this.masters.requireQuorum('put', answers);
    const ok = answers.filter((a) => a?.[0] === 'ok') as Reply[];
    if (ok.length >= this.masters.quorum) {
      const version = Math.max(...ok.map((r) => Number(r[1])));
      const revision = Math.max(...ok.map((r) => Number(r[2])));
      const leaseApp = text(ok[0]?.[3]);
      const lease =
        leaseId === undefined ? {} : { leaseId, ...(leaseApp === undefined ? {} : { app: leaseApp }) };
      this.emit({ type: 'put', key, revision, value, ...lease });
      return { version, revision };
    }
    const refusal = pickStatus<unknown>(
      answers.map((a) => a?.[0]),
      undefined,
      ['fenced', 'version', 'nolease'],
    );
    throw putRefusal(refusal, options, answers.find((a) => a?.[0] === 'version')?.[1]);
  }

  async get(key: string): Promise<KvEntry | undefined> {
    const answers = await this.masters.run(getKvScript, [key]);
    this.masters.requireQuorum('get', answers);
    const rows = answers.filter((a) => Array.isArray(a) && a.length > 0) as Reply[];
    if (rows.length < this.masters.quorum) return undefined;
    const [value, version, revision, lease, leaseApp] = rows.reduce((a, b) =>
      Number(b[2]) > Number(a[2]) ? b : a,
    );
    const [leaseId, app] = [text(lease), text(leaseApp)];
    return {
      key,
      value: String(value),
      version: Number(version),
      revision: Number(revision),
      ...(leaseId === undefined ? {} : { leaseId }),
      ...(leaseId === undefined || app === undefined ? {} : { app }),
    };
  }

  /**
   * Keys a majority lists, each as its newest row (as `get` reads one). Past the first full page
   * some master returned, the others' answers are incomplete, so the merge stops there and, when
   * minority-only keys left the page short, ranges on from that bound.
   */
  async listKeys(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]> {
    const out: KvEntry[] = [];
    let cursor = after;
    for (;;) {
      const want = limit - out.length;
      const answers = await this.masters.run(listKeysScript, [prefix, listStart(prefix, cursor), want]);
      this.masters.requireQuorum('listKeys', answers);
      const pages = answers.map((a) => (a === undefined ? undefined : kvEntries(a)));
      const merged = mergeKeyPages(pages, want, this.masters.quorum);
      out.push(...merged.entries);
      if (out.length >= limit || merged.bound === undefined) return out.slice(0, limit);
      cursor = merged.bound;
    }
  }

  async delete(key: string): Promise<boolean> {
    const answers = await this.masters.run(deleteScript, [key]);
    this.masters.requireQuorum('delete', answers);
    const deleted = this.masters.count(answers, (a) => a === 1) > 0;
    if (deleted) this.emit({ type: 'delete', key, revision: 0 });
    return deleted;
  }

  counterAdd(name: string, delta: number): Promise<number> {
    if (!Number.isSafeInteger(delta))
      throw new LeaseholdError('INVALID_ARGUMENT', 'delta: must be an integer');
    return this.counter('counterAdd', () => this.masters.run(counterAddScript, [name, delta]));
  }

  counterGet(name: string): Promise<number> {
    return this.counter('counterGet', () =>
      this.masters.each(async (c) => Number((await c.get(this.counterKey(name))) ?? 0)),
    );
  }

  async counterSet(name: string, value: number): Promise<void> {
    if (!Number.isSafeInteger(value))
      throw new LeaseholdError('INVALID_ARGUMENT', 'value: must be an integer');
    await this.counter('counterSet', async () =>
      (await this.masters.run(counterSetScript, [name, value])).map((a) => (a === undefined ? a : value)),
    );
  }

  /** Runs a counter operation on every master; a majority must answer, and their median is the value. */
  private async counter(op: string, run: () => Promise<Answers>): Promise<number> {
    const answers = await run();
    this.masters.requireQuorum(op, answers);
    return median(answers.filter((a) => a !== undefined).map(Number));
  }

  private counterKey(name: string): string {
    return `${this.masters.prefix}ctr:${name}`;
  }
}
