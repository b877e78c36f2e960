import { LeaseholdError } from '@leasehold/core';
import type { KvEntry, KvStore, PutOptions } from '@leasehold/core';
import { kvEntries, listStart } from '../redis/kv-index.js';
import { deleteScript, listKeysScript, putArgs, putScript } from '../redis/kv-scripts.js';
import type { Reply } from '../redis/replies.js';
import { putRefusal, text } from '../redis/replies.js';
import type { RedlockContext } from './redlock-context.js';
import { mergeKeyPages, pickStatus, statusOf } from './redlock-merge.js';
import { getKvScript } from './redlock-scripts.js';

/**
 * The keys of a Redlock store: written to every master, acknowledged by a majority, read from a
 * majority. Not linearizable under failures (a refused or failed write may stay on a minority).
 * An idempotency key is kept per master, in the write's own script: a retry applies only on the
 * masters the first attempt missed, so no master applies it twice.
 */
export class RedlockKv implements KvStore {
  constructor(private readonly redlock: RedlockContext) {}

  async put(options: PutOptions): Promise<{ version: number; revision: number }> {
    this.redlock.open();
    const { masters } = this.redlock;
    const { key, value, leaseId } = options;
    const answers = (await masters.run(putScript, putArgs(options), {
      decide: masters.majority(statusOf),
    })) as (Reply | undefined)[];
    masters.requireQuorum('put', answers);
    const ok = answers.filter((a) => a?.[0] === 'ok') as Reply[];
    if (ok.length >= masters.quorum) {
      const version = Math.max(...ok.map((r) => Number(r[1])));
      const revision = Math.max(...ok.map((r) => Number(r[2])));
      const leaseApp = text(ok[0]?.[3]);
      const lease =
        leaseId === undefined ? {} : { leaseId, ...(leaseApp === undefined ? {} : { app: leaseApp }) };
      // A repeat every master replayed changed nothing: no event.
      if (!ok.every((r) => r[4] === 1))
        this.redlock.watch.publish({ type: 'put', key, revision, value, ...lease });
      return { version, revision };
    }
    const refusal = pickStatus<unknown>(
      answers.map((a) => a?.[0]),
      undefined,
      ['idemreused', 'fenced', 'version', 'nolease'],
    );
    // A refusal speaks for the store only when a majority gave it: a fence or version that one master
    // alone refuses (it missed a grant while it was down) says nothing about the holder's grant.
    const refusedBy = answers.filter((a) => a?.[0] === refusal).length;
    if (refusedBy < masters.quorum) {
      throw new LeaseholdError(
        'STORE_ERROR',
        `store failed during put: the Redlock masters disagreed (${ok.length} applied it, ${refusedBy} ` +
          `answered ${String(refusal)}, ${masters.quorum} needed either way); it may stand on a minority`,
      );
    }
    throw putRefusal(refusal, options, answers.find((a) => a?.[0] === 'version')?.[1]);
  }

  /** The highest-revision row among a majority that has the key. */
  async get(key: string): Promise<KvEntry | undefined> {
    this.redlock.open();
    const { masters } = this.redlock;
    // Any majority's newest row is the latest acknowledged write (the two majorities share a master).
    const hasRow = (a: unknown) => Array.isArray(a) && a.length > 0;
    const answers = await masters.run(getKvScript, [key], { decide: masters.majority(hasRow) });
    masters.requireQuorum('get', answers);
    const rows = answers.filter((a) => Array.isArray(a) && a.length > 0) as Reply[];
    if (rows.length < masters.quorum) return undefined;
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

  async delete(key: string): Promise<boolean> {
    this.redlock.open();
    const { masters } = this.redlock;
    const answers = await masters.run(deleteScript, [key], { decide: masters.any((a) => a === 1) });
    masters.requireQuorum('delete', answers);
    const deleted = masters.count(answers, (a) => a === 1) > 0;
    if (deleted) this.redlock.watch.publish({ type: 'delete', key, revision: 0 });
    return deleted;
  }

  /**
   * Keys a majority lists, each as its newest row (as `get` reads one). Past the first full page
   * some master returned, the others' answers are incomplete, so the merge stops there and, when
   * minority-only keys left the page short, ranges on from that bound.
   */
  async list(prefix: string, after: string | undefined, limit: number): Promise<KvEntry[]> {
    this.redlock.open();
    const { masters } = this.redlock;
    const out: KvEntry[] = [];
    let cursor = after;
    for (;;) {
      const want = limit - out.length;
      const answers = await masters.run(listKeysScript, [prefix, listStart(prefix, cursor), want]);
      masters.requireQuorum('listKeys', answers);
      const pages = answers.map((a) => (a === undefined ? undefined : kvEntries(a)));
      const merged = mergeKeyPages(pages, want, masters.quorum);
      out.push(...merged.entries);
      if (out.length >= limit || merged.bound === undefined) return out.slice(0, limit);
      cursor = merged.bound;
    }
  }
}
