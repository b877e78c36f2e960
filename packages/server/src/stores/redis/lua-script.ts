import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Idempotency, LeaseApp } from '@leasehold/core';
import { IDEMPOTENCY_WINDOW_MS } from '@leasehold/core';
import type { LuaSource } from './lua-prelude.js';
import { PRELUDE } from './lua-prelude.js';

/** Arguments a script takes: all travel as ARGV (the key names are derived inside, so cluster is refused). */
export type ScriptArg = string | number;

/**
 * Whose leases a script may use, as the scripts read it (`usableLease` in the prelude): '' for an
 * admin, else '=' and the app, so no app id, not even '', can pass for an admin.
 */
export function callerArg(app: LeaseApp): string {
  return app === undefined ? '' : `=${app}`;
}

/**
 * The trailing ARGV of a write that may carry an idempotency key: key, fingerprint, window (ms);
 * none without one, so the scripts read nil and skip it.
 */
export function idempotencyArgs(options: { idempotency?: Idempotency | undefined }): ScriptArg[] {
  const { idempotency } = options;
  return idempotency ? [idempotency.key, idempotency.fingerprint, IDEMPOTENCY_WINDOW_MS] : [];
}

/** Clients that cannot run functions (Redis before 7, or an ACL without FUNCTION/FCALL): EVALSHA only. */
const evalOnly = new WeakSet<Redis>();

/** Loads of a library in flight per client, so a burst of misses loads it once. */
type Loading = WeakMap<Redis, Promise<unknown>>;

/**
 * True when FCALL or FUNCTION LOAD itself was refused: Redis before 7 does not know them, or the
 * ACL denies them. Only then: an error from inside a function that ran must not run it again.
 */
function noFunctions(error: Error): boolean {
  return /^(NOPERM .*'(fcall|function\|load)' command|ERR unknown command ['`](fcall|function)['`])/i.test(
    error.message,
  );
}

/**
 * A Lua script, run as a Redis function (FCALL) where Redis has them: its library, the prelude and
 * one function, is loaded once, so a call runs only the operation's body (EVALSHA would run the
 * whole prelude's definitions every time; docs/adr/0015-redis-functions.md). Loaded on demand: a Redis
 * restarted without its data answers "Function not found" and the library is loaded again. A Redis
 * without functions gets EVALSHA (NOSCRIPT falls back to EVAL once).
 */
export class LuaScript {
  /** The EVAL form: ARGV[1] is the store's key prefix. */
  readonly lua: string;
  /** The FUNCTION LOAD form; its library and its one function are both named `name`. */
  readonly library: string;
  readonly name: string;
  private readonly sha: string;
  private readonly loading: Loading = new WeakMap();

  constructor(source: LuaSource) {
    // Scripts read TIME before writing: replicate effects, not the script (the default from Redis 5).
    this.lua = `redis.replicate_commands()\nlocal P = ARGV[1]\n${PRELUDE}\n${source.body}`;
    this.sha = createHash('sha1').update(this.lua).digest('hex');
    // Sent with every call: 80 bits of the hash are plenty to tell this project's scripts apart.
    this.name = `leasehold_${this.sha.slice(0, 20)}`;
    // A function's environment takes no globals: P and ARGV are the library's, set on each call.
    const call = `function(_, args)\nARGV = args\nP = args[1]\n${source.body}\nend`;
    this.library = `#!lua name=${this.name}\nlocal P, ARGV\n${PRELUDE}\nredis.register_function('${this.name}', ${call})\n`;
  }

  /** Runs the script atomically on `client`, with `prefix` (the store's key prefix) as ARGV[1]. */
  run(client: Redis, prefix: string, args: readonly ScriptArg[]): Promise<unknown> {
    if (evalOnly.has(client)) return this.evalsha(client, prefix, args);
    return client.fcall(this.name, 0, prefix, ...args).catch((error: unknown) => {
      if (!(error instanceof Error)) throw error;
      // Under maxmemory a function without flags is refused outright; a script only when it writes.
      if (error.message.startsWith('OOM')) return this.evalsha(client, prefix, args);
      if (noFunctions(error)) return this.withoutFunctions(client, prefix, args);
      if (!error.message.startsWith('ERR Function not found')) throw error;
      return this.load(client).then(
        () => client.fcall(this.name, 0, prefix, ...args),
        (failure: unknown) => {
          if (failure instanceof Error && noFunctions(failure))
            return this.withoutFunctions(client, prefix, args);
          throw failure;
        },
      );
    });
  }

  private load(client: Redis): Promise<unknown> {
    let loading = this.loading.get(client);
    if (!loading) {
      // REPLACE: the name is the code's hash, so a library of that name is this very code.
      loading = client.function('LOAD', 'REPLACE', this.library).finally(() => this.loading.delete(client));
      this.loading.set(client, loading);
    }
    return loading;
  }

  private withoutFunctions(client: Redis, prefix: string, args: readonly ScriptArg[]): Promise<unknown> {
    evalOnly.add(client);
    return this.evalsha(client, prefix, args);
  }

  private evalsha(client: Redis, prefix: string, args: readonly ScriptArg[]): Promise<unknown> {
    return client.evalsha(this.sha, 0, prefix, ...args).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.lua, 0, prefix, ...args);
    });
  }
}
