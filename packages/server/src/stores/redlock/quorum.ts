import type { Redis } from 'ioredis';
import { LeaseholdError } from '@leasehold/core';
import type { LuaScript, ScriptArg } from '../redis/lua-script.js';

/** One master's answer, or `undefined` when it failed or timed out. */
export type Answers = readonly unknown[];

/**
 * Whether a quorum op's outcome is settled, from the answers so far (undefined: failed or not in
 * yet) and how many masters have yet to answer.
 */
export type Decide = (answers: Answers, pending: number) => boolean;

/** Settled once every master has answered or failed: for ops whose merge reads every answer. */
export const everyMaster: Decide = (_answers, pending) => pending === 0;

/** How `Masters.run` runs a script: on the masters `only` marks (default all), until `decide`. */
export interface RunOptions {
  readonly only?: readonly boolean[] | undefined;
  readonly decide?: Decide | undefined;
}

/** Independent Redis masters and the majority Redlock needs of them. */
export class Masters {
  /** How many masters make a majority. */
  readonly quorum: number;
  /** The latest driver failure, kept as the cause of the next no-majority error (for the log). */
  private lastFailure: unknown;
  /** The masters each script has answered on, so it is loaded there (see race). */
  private readonly loadedOn = new WeakMap<LuaScript, Set<number>>();

  constructor(
    readonly clients: readonly Redis[],
    readonly prefix: string,
  ) {
    this.quorum = Math.floor(clients.length / 2) + 1;
  }

  /**
   * Runs a script on every master (or those `only` marks) in parallel and answers once `decide`
   * says the outcome is settled (by default once every master has answered or failed), so one
   * hung master does not hold up an op a majority has decided. A failure answers undefined; a
   * master that has not answered yet is undefined too, and its late answer changes nothing.
   */
  async run(
    script: LuaScript,
    args: readonly ScriptArg[] | ((master: number) => readonly ScriptArg[]),
    options: RunOptions = {},
  ): Promise<Answers> {
    return this.race(script, args, options).decided;
  }

  /** As `run`, and also every master's answer once all are in (late ones too), to follow up on them. */
  race(
    script: LuaScript,
    args: readonly ScriptArg[] | ((master: number) => readonly ScriptArg[]),
    { only, decide: asked = everyMaster }: RunOptions = {},
  ): { decided: Promise<Answers>; all: Promise<Answers> } {
    // A script's first run on a master may be sent again after loading it there, behind later
    // commands: until it has answered on every master, nothing is decided without one.
    const decide = this.answeredOn(script).size === this.clients.length ? asked : everyMaster;
    const answers: unknown[] = this.clients.map(() => undefined);
    let pending = 0;
    let settle: (answers: Answers) => void = () => undefined;
    const decided = new Promise<Answers>((resolve) => (settle = resolve));
    // The first decision wins: a copy, so a late answer cannot change what the op saw.
    const check = () => decide(answers, pending) && settle([...answers]);
    const calls = this.clients.map(async (client, i) => {
      if (only && !only[i]) return;
      pending++;
      try {
        answers[i] = await script.run(client, this.prefix, typeof args === 'function' ? args(i) : args);
      } catch (error) {
        this.lastFailure = error;
      }
      pending--;
      check();
    });
    check();
    const all = Promise.all(calls).then(() => {
      answers.forEach((a, i) => a !== undefined && this.answeredOn(script).add(i));
      return [...answers];
    });
    return { decided, all };
  }

  private answeredOn(script: LuaScript): Set<number> {
    let masters = this.loadedOn.get(script);
    if (!masters) this.loadedOn.set(script, (masters = new Set()));
    return masters;
  }

  /**
   * Decided once `vote` gives one value on a majority of the answers, or once no value can reach
   * a majority any more and whether a majority answered at all is settled (requireQuorum's test).
   */
  majority(vote: (answer: unknown) => unknown): Decide {
    return (answers, pending) => {
      const counts = new Map<unknown, number>();
      for (const answer of answers) {
        if (answer === undefined) continue;
        const value = vote(answer);
        counts.set(value, (counts.get(value) ?? 0) + 1);
      }
      const top = Math.max(0, ...counts.values());
      if (top >= this.quorum) return true;
      if (top + pending >= this.quorum) return false;
      return this.answeredSettled(answers, pending);
    };
  }

  /**
   * For ops where any one master's `test` decides (a release that released somewhere): decided
   * once one passes and a majority answered, else only when no answer can change the outcome.
   */
  any(test: (answer: unknown) => boolean): Decide {
    return (answers, pending) => {
      if (pending === 0) return true;
      const answered = answers.filter((a) => a !== undefined);
      if (answered.some(test) && answered.length >= this.quorum) return true;
      return answered.length + pending < this.quorum;
    };
  }

  /** True once whether a majority answered can no longer change. */
  private answeredSettled(answers: Answers, pending: number): boolean {
    const answered = answers.filter((a) => a !== undefined).length;
    return answered >= this.quorum || answered + pending < this.quorum;
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
