import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Arguments a script takes: all travel as ARGV (the key names are derived inside, so cluster is refused). */
export type ScriptArg = string | number;

/** A Lua script run by SHA, loaded on demand (NOSCRIPT after a restart falls back to EVAL once). */
export class LuaScript {
  private readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script atomically on `client`. */
  async run(client: Redis, args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, 0, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.lua, 0, ...args);
    }
  }
}
