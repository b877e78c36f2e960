import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { LeaseApp } from '@leasehold/core';

/** Arguments a script takes: all travel as ARGV (the key names are derived inside, so cluster is refused). */
export type ScriptArg = string | number;

/**
 * Whose leases a script may use, as the scripts read it (`usableLease` in the prelude): '' for an
 * admin, else '=' and the app, so no app id, not even '', can pass for an admin.
 */
export function callerArg(app: LeaseApp): string {
  return app === undefined ? '' : `=${app}`;
}

/** A Lua script run by SHA, loaded on demand (NOSCRIPT after a restart falls back to EVAL once). */
export class LuaScript {
  private readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script atomically on `client`, with `prefix` (the store's key prefix) as ARGV[1]. */
  run(client: Redis, prefix: string, args: readonly ScriptArg[]): Promise<unknown> {
    return client.evalsha(this.sha, 0, prefix, ...args).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.lua, 0, prefix, ...args);
    });
  }
}
