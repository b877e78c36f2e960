import type { Redis } from 'ioredis';
import { LeaseholdError } from '@leasehold/core';
import type { LuaScript, ScriptArg } from '../redis/lua-script.js';

/** One master's answer, or `undefined` when it failed or timed out. */
export type Answers = readonly unknown[];

/** Independent Redis masters and the majority Redlock needs of them. */
export class Masters {
  /** How many masters make a majority. */
  readonly quorum: number;
  /** The latest driver failure, kept as the cause of the next no-majority error (for the log). */
  private lastFailure: unknown;

  constructor(
    readonly clients: readonly Redis[],
    readonly prefix: string,
  ) {
    this.quorum = Math.floor(clients.length / 2) + 1;
  }

  /** Runs a script on every master (or those `only` marks) in parallel; a failure answers undefined. */
  async run(
    script: LuaScript,
    args: readonly ScriptArg[] | ((master: number) => readonly ScriptArg[]),
    only?: readonly boolean[],
  ): Promise<Answers> {
    return Promise.all(
      this.clients.map((client, i) =>
        only && !only[i]
          ? Promise.resolve(undefined)
          : script.run(client, this.prefix, typeof args === 'function' ? args(i) : args).then(
              (answer) => answer,
              (error: unknown) => void (this.lastFailure = error),
            ),
      ),
    );
  }

  /** Runs a plain command on every master; a failure answers undefined. */
  async each<T>(command: (client: Redis) => Promise<T>): Promise<(T | undefined)[]> {
    return Promise.all(
      this.clients.map((client) =>
        command(client).then(
          (answer) => answer,
          (error: unknown) => void (this.lastFailure = error),
        ),
      ),
    );
  }

  /** Throws STORE_ERROR unless a majority answered. */
  requireQuorum(op: string, answers: Answers): void {
    const answered = answers.filter((a) => a !== undefined).length;
    if (answered < this.quorum) {
      throw new LeaseholdError(
        'STORE_ERROR',
        `store failed during ${op}: ${answered} of ${this.clients.length} Redlock masters answered, ${this.quorum} needed`,
        { cause: this.lastFailure },
      );
    }
  }

  /** How many answers satisfy `test`. */
  count(answers: Answers, test: (answer: unknown) => boolean): number {
    return answers.filter((a) => a !== undefined && test(a)).length;
  }
}

/** Clock drift Redlock allows for a TTL: driftFactor × TTL plus 2 ms for the process clock. */
export function driftMs(ttlMs: number, driftFactor: number): number {
  return Math.floor(ttlMs * driftFactor) + 2;
}
