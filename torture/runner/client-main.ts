/**
 * One torture client process, forked by the runner: `client-main.ts <config JSON>`. It records its ops
 * into its own history file and exits at the deadline (or when killed: finished lines are on disk).
 */
import { HistoryRecorder } from '../history/history-recorder.js';
import type { ClientApi, PoolPrimitive } from './client-api.js';
import { ClientLoop } from './client-loop.js';
import { HttpApi } from './http-api.js';
import { Prng } from './prng.js';
import { SdkApi } from './sdk-api.js';
import { WatchReader } from './watch-reader.js';

/** What the runner tells a client process. */
export interface ClientConfig {
  /** The process name in the history (`c0`, `w0`). */
  readonly process: string;
  readonly role: 'http' | 'sdk' | 'watch';
  readonly urls: readonly string[];
  readonly seed: number;
  /** Date.now() time at which to stop starting new ops. */
  readonly deadlineMs: number;
  readonly historyPath: string;
  /**
   * False where the watch numbers events with a sequence of its own (Redlock, docs/stores-redis.md): a
   * write's revision then names no watch event, so it is recorded as `storeRevision`, which no property reads.
   */
  readonly watchSharesRevisions: boolean;
  /** The permit-pool primitives the store has: the client takes semaphores and read/write locks only then. */
  readonly pools: readonly PoolPrimitive[];
}

async function main(config: ClientConfig): Promise<void> {
  const recorder = HistoryRecorder.toFile(config.historyPath);
  const rng = new Prng(config.seed);
  try {
    if (config.role === 'watch') {
      await new WatchReader(config.process, config.urls, recorder, rng).run(config.deadlineMs);
      return;
    }
    const http = new HttpApi(config.urls);
    const api: ClientApi = config.role === 'sdk' ? new SdkApi(config.urls) : http;
    try {
      const loop = new ClientLoop(
        config.process,
        api,
        recorder,
        rng,
        http,
        config.watchSharesRevisions,
        config.pools,
      );
      await loop.run(config.deadlineMs);
    } finally {
      await api.close();
    }
  } finally {
    recorder.close();
  }
}

main(JSON.parse(process.argv[2] ?? '{}') as ClientConfig).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
