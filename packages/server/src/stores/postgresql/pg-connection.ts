import { LeaseholdError } from '@leasehold/core';
import postgres from 'postgres';
import type { Options, PostgresType, Sql, TransactionSql } from 'postgres';
import type { PgConfig, PgTarget } from './config.js';

/** The driver handle of one pool. */
export type PgSql = Sql<{ int8: number }>;
/** The driver handle inside one transaction. */
export type PgTx = TransactionSql<{ int8: number }>;

// Tokens and revisions are bigint columns; they stay below 2^53, so they are read as numbers.
const INT8: PostgresType<number> = {
  to: 20,
  from: [20],
  serialize: (value: number) => String(value),
  parse: (text: string) => Number(text),
};

/**
 * Opens a pool (nothing connects until the first query). Statements are named and prepared once
 * per connection unless `preparedStatements` is off (for transaction poolers without support):
 * unnamed ones cost a second round trip each. Keep-alive probes notice a dead peer in ~10 s.
 */
export function openSql(config: PgConfig, target: PgTarget, role: 'ops' | 'listen'): PgSql {
  const options: Options<{ int8: PostgresType<number> }> = {
    max: role === 'ops' ? config.poolSize : 1,
    prepare: config.preparedStatements,
    onnotice: () => undefined,
    connect_timeout: Math.max(1, Math.ceil(config.timeoutMs / 1000)),
    keep_alive: 10,
    types: { int8: INT8 },
    // The driver's array-type query on each new connection can reject unhandled when Postgres dies
    // mid-connect (seen in the kill -9 test); the store sends arrays as literals (text-array.ts).
    fetch_types: false,
    connection: { application_name: `leasehold ${role}` },
    ...(config.tls
      ? { ssl: { ca: config.tls.ca, cert: config.tls.cert, key: config.tls.key, rejectUnauthorized: true } }
      : {}),
    ...(target.url === undefined ? partsOf(target) : {}),
  };
  return target.url === undefined ? postgres(options) : postgres(target.url, options);
}

function partsOf(target: PgTarget): Pick<PgTarget, 'host' | 'port' | 'user' | 'password' | 'database'> {
  return {
    ...(target.host === undefined ? {} : { host: target.host }),
    ...(target.port === undefined ? {} : { port: target.port }),
    ...(target.user === undefined ? {} : { user: target.user }),
    ...(target.password === undefined ? {} : { password: target.password }),
    ...(target.database === undefined ? {} : { database: target.database }),
  };
}

/**
 * A driver failure as STORE_ERROR naming the operation and the host, with the system or SQLSTATE
 * code as its reason (the server's message may quote data; it stays in `cause`, for the log).
 */
export function pgError(op: string, place: string, error: unknown): LeaseholdError {
  if (error instanceof LeaseholdError) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason = typeof code === 'string' && code !== '' ? code : 'driver error';
  return new LeaseholdError('STORE_ERROR', `store failed during ${op}: postgresql ${place}: ${reason}`, {
    cause: error,
  });
}

/**
 * The operations pool of one store: every call runs inside a time limit and leaves as a typed
 * error; a closed store refuses work before touching the network.
 */
export class PgConnection {
  readonly sql: PgSql;
  private isClosed = false;
  private setup: (() => Promise<void>) | undefined;
  private ready: Promise<void> | undefined;

  constructor(readonly config: PgConfig) {
    this.sql = openSql(config, config.target, 'ops');
  }

  /** `host:port` of the operations pool. */
  get place(): string {
    return this.config.target.place;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sets what must succeed once before any operation (the schema): retried until it does. */
  prepareWith(setup: () => Promise<void>): void {
    this.setup = setup;
  }

  /** Runs the set-up unless it succeeded already; a failure is STORE_ERROR and is retried next time. */
  prepare(): Promise<void> {
    const setup = this.setup;
    if (setup === undefined) return Promise.resolve();
    this.ready ??= this.limited(setup).catch((error: unknown) => {
      this.ready = undefined;
      throw pgError('createSchema', this.place, error);
    });
    return this.ready;
  }

  /** Runs `work` in one transaction (READ COMMITTED: each statement sees commits before it). */
  tx<T>(op: string, work: (tx: PgTx) => Promise<T>): Promise<T> {
    return this.run(op, () => this.sql.begin((tx) => work(tx as unknown as PgTx)) as Promise<T>);
  }

  /** Runs one or more statements outside a transaction, under the same limit and error wrapping. */
  async run<T>(op: string, work: () => Promise<T>): Promise<T> {
    if (this.isClosed) throw new LeaseholdError('UNAVAILABLE', 'store is closed');
    await this.prepare();
    try {
      return await this.limited(work);
    } catch (error) {
      throw pgError(op, this.place, error);
    }
  }

  /** `work`, or a TIMEOUT error once `timeoutMs` passed without an answer. */
  private async limited<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut(this.config.timeoutMs)), this.config.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([work(), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Refuses later work and closes the pool; false when already closed. */
  async close(): Promise<boolean> {
    if (this.isClosed) return false;
    this.isClosed = true;
    await this.sql.end({ timeout: 1 }).catch(() => undefined);
    return true;
  }
}

function timedOut(ms: number): Error & { code: string } {
  return Object.assign(new Error(`no answer within ${ms} ms`), { code: 'TIMEOUT' });
}
