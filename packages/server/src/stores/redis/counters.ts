import type { CounterStore, Idempotency } from '@leasehold/core';
import { LeaseholdError } from '@leasehold/core';
import { idempotencyArgs } from './lua-script.js';
import { counterValue } from './replies.js';
import { counterAddScript, counterSetScript } from './usage-scripts.js';
import type { ScriptRunner } from './script-runner.js';

/** The counters of a `lock.redis` store: one string key each, changed by scripts that keep usage counts. */
export class RedisCounters implements CounterStore {
  constructor(private readonly redis: ScriptRunner) {}

  async add(name: string, delta: number, idempotency?: Idempotency): Promise<number> {
    if (!Number.isSafeInteger(delta))
      throw new LeaseholdError('INVALID_ARGUMENT', 'delta: must be an integer');
    const args = [name, delta, ...idempotencyArgs({ idempotency })];
    return counterValue(await this.redis.script('counterAdd', counterAddScript, ...args));
  }

  async get(name: string): Promise<number> {
    const { command, prefix } = this.redis;
    return Number((await this.redis.call('counterGet', () => command.get(`${prefix}ctr:${name}`))) ?? 0);
  }

  async set(name: string, value: number): Promise<void> {
    if (!Number.isSafeInteger(value))
      throw new LeaseholdError('INVALID_ARGUMENT', 'value: must be an integer');
    await this.redis.script('counterSet', counterSetScript, name, value);
  }
}
