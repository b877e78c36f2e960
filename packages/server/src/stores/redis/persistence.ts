import type { Redis } from 'ioredis';

/** The settings under which this store's tokens and acknowledged grants survive a Redis restart. */
const DURABLE = { appendonly: 'yes', appendfsync: 'always' } as const;

/**
 * One line for the operator when Redis can lose acknowledged writes on a restart (tokens could be
 * reissued and grants forgotten), or when its settings cannot be read; undefined when they are durable.
 */
export async function persistenceWarning(storeName: string, client: Redis): Promise<string | undefined> {
  const where = `lock.redis store "${storeName}"`;
  let settings: Record<string, string>;
  try {
    const replies = await Promise.all(
      Object.keys(DURABLE).map((name) => client.config('GET', name) as Promise<string[]>),
    );
    settings = Object.fromEntries(
      replies.flatMap(([name, value]) =>
        name === undefined || value === undefined ? [] : [[name, value] as const],
      ),
    );
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return `${where}: cannot read Redis's persistence settings (CONFIG GET: ${cause}); fencing tokens rise across a Redis restart only with appendonly yes and appendfsync always (docs/stores-redis.md)`;
  }
  const off = Object.entries(DURABLE).filter(([name, wanted]) => settings[name] !== wanted);
  if (off.length === 0) return undefined;
  const found = off.map(([name]) => `${name} ${settings[name] ?? 'unknown'}`).join(', ');
  return `${where}: Redis runs with ${found}: a Redis restart can lose acknowledged grants and reissue fencing tokens; set appendonly yes and appendfsync always (docs/stores-redis.md)`;
}
