import type { CounterStore, Idempotency } from '@leasehold/core';
import { idempotencyArgs } from '../redis/lua-script.js';
import { counterValue } from '../redis/replies.js';
import { LeaseholdError } from '@leasehold/core';
import { counterAddScript, counterSetScript } from '../redis/usage-scripts.js';
import type { Answers } from './quorum.js';
import type { RedlockContext } from './redlock-context.js';
import { median } from './redlock-merge.js';

/**
 * The counters of a Redlock store: changed on every master, and read as the median of a majority's
 * values. Not exact under failures (a change may have applied on a minority only).
 */
export class RedlockCounters implements CounterStore {
  constructor(private readonly redlock: RedlockContext) {}

  /** With an idempotency key, each master adds at most once (the key is kept in its own script). */
  async add(name: string, delta: number, idempotency?: Idempotency): Promise<number> {
    this.redlock.open();
    if (!Number.isSafeInteger(delta))
      throw new LeaseholdError('INVALID_ARGUMENT', 'delta: must be an integer');
    const args = [name, delta, ...idempotencyArgs({ idempotency })];
    return this.agreed('counterAdd', async () =>
      (await this.redlock.masters.run(counterAddScript, args)).map((a) =>
        a === undefined ? a : counterValue(a),
      ),
    );
  }

  async get(name: string): Promise<number> {
    this.redlock.open();
    const { masters } = this.redlock;
    const key = `${masters.prefix}ctr:${name}`;
    return this.agreed('counterGet', () => masters.each(async (c) => Number((await c.get(key)) ?? 0)));
  }

  async set(name: string, value: number): Promise<void> {
    this.redlock.open();
    if (!Number.isSafeInteger(value))
      throw new LeaseholdError('INVALID_ARGUMENT', 'value: must be an integer');
    await this.agreed('counterSet', async () =>
      (await this.redlock.masters.run(counterSetScript, [name, value])).map((a) =>
        a === undefined ? a : value,
      ),
    );
  }

  /** Runs a counter operation on every master; a majority must answer, and their median is the value. */
  private async agreed(op: string, run: () => Promise<Answers>): Promise<number> {
    const answers = await run();
    this.redlock.masters.requireQuorum(op, answers);
    return median(answers.filter((a) => a !== undefined).map(Number));
  }
}
