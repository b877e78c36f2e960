import type { Redis } from 'ioredis';
import { LeaseholdError, storeError } from '@leasehold/core';
import type { LuaScript, ScriptArg } from './lua-script.js';

/**
 * One store's way into Redis, shared by its capabilities: every command runs on `command` under
 * the store's key prefix, and any driver failure leaves as STORE_ERROR naming the op. Once closed,
 * every op answers UNAVAILABLE.
 */
export class ScriptRunner {
  private closed = false;
  private refusal: LeaseholdError | undefined;

  constructor(
    readonly command: Redis,
    readonly prefix: string,
  ) {}

  /** True once the store began closing. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuses every later op. */
  close(): void {
    this.closed = true;
  }

  /** Fails every later op with `error` (data this version cannot read: see layout.ts). */
  refuse(error: LeaseholdError): void {
    this.refusal = error;
  }

  /** Runs `script` with the store prefix as its first argument. */
  script(op: string, script: LuaScript, ...args: ScriptArg[]): Promise<unknown> {
    // A plain promise chain, not `call`'s async frame and closure: this runs twice per lock cycle.
    if (this.closed) return Promise.reject(new LeaseholdError('UNAVAILABLE', 'store is closed'));
    if (this.refusal) return Promise.reject(this.refusal);
    return script.run(this.command, this.prefix, args).catch((error: unknown) => {
      throw storeError(op, error);
    });
  }

  /** Runs one plain command (a read no script is needed for). */
  async call<T>(op: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) throw new LeaseholdError('UNAVAILABLE', 'store is closed');
    if (this.refusal) throw this.refusal;
    try {
      return await run();
    } catch (error) {
      throw storeError(op, error);
    }
  }
}
