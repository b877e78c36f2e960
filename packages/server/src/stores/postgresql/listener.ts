import type { PgConfig } from './config.js';
import { openSql } from './pg-connection.js';
import type { PgSql } from './pg-connection.js';

const RETRY_MS = 1_000;

/**
 * The one LISTEN connection of a server (a session: through a transaction pooler it needs
 * `listenConnectionString`). The driver reconnects it and calls back after every (re)connect;
 * notifications sent meanwhile are gone, so `onListen` re-reads how this server's waits stand.
 * A first connection that fails is retried here until it succeeds or the store closes.
 */
export class PgListener {
  private readonly sql: PgSql;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    config: PgConfig,
    private readonly channel: string,
    private readonly onMessage: (line: string) => void,
    private readonly onListen: () => void,
  ) {
    this.sql = openSql(config, config.listenTarget, 'listen');
  }

  /** Starts listening; resolves once listening or once the first attempt failed (retried later). */
  async start(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.sql.listen(
        this.channel,
        (line) => this.onMessage(line),
        () => this.onListen(),
      );
    } catch {
      this.retry = setTimeout(() => void this.start(), RETRY_MS);
      this.retry.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.sql.end({ timeout: 1 }).catch(() => undefined);
  }
}
