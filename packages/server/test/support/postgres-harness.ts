import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from './free-port.js';
import { killAndWait } from './kill-and-wait.js';

/** The database user the harness's cluster is created with (trust auth on loopback). */
export const POSTGRES_USER = 'leasehold';

/**
 * The folder holding `initdb` and `postgres`: `pg_config --bindir`, else the highest
 * `/usr/lib/postgresql/<n>/bin` (Debian's package keeps them off PATH); undefined when neither has them.
 */
export function findPostgresBindir(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // no pg_config: the Debian folders below
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => join(root, version, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
}

/** The uid/gid to run Postgres as: the `postgres` user when we are root (initdb refuses root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A throw-away PostgreSQL cluster for tests: `initdb` into a temp folder, then `postgres` on a free
 * loopback port as a child process, stopped (or crashed) by PID and restartable on the same port.
 */
export class PostgresServer {
  private child: ChildProcess | undefined;
  private schemas = 0;

  private constructor(
    private readonly bindir: string,
    readonly port: number,
    private readonly dir: string,
    private readonly user: { uid: number; gid: number } | undefined,
    private readonly fsync: boolean,
  ) {}

  /** Creates the cluster and starts it; `fsync` on only where a crash must keep commits (kill -9 tests). */
  static async start(bindir: string, options: { fsync?: boolean } = {}): Promise<PostgresServer> {
    const dir = mkdtempSync(join(tmpdir(), 'leasehold-postgres-'));
    const user = runAs();
    if (user) chownSync(dir, user.uid, user.gid);
    const initdb = ['-D', join(dir, 'data'), '-U', POSTGRES_USER, '-A', 'trust', '--no-sync'];
    execFileSync(join(bindir, 'initdb'), initdb, { stdio: 'ignore', cwd: dir, ...(user ?? {}) });
    const server = new PostgresServer(bindir, await freePort(), dir, user, options.fsync ?? false);
    await server.restart();
    return server;
  }

  /** A connection string for database `postgres` as the harness user. */
  get url(): string {
    return `postgres://${POSTGRES_USER}@127.0.0.1:${this.port}/postgres`;
  }

  /** The postmaster's process id, or undefined when stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** A schema name no other test of this cluster uses: each test's store gets its own tables. */
  uniqueSchema(label = 'test'): string {
    this.schemas += 1;
    return `${label.replace(/[^a-z0-9_]/g, '_')}_${this.schemas}`;
  }

  /** (Re)starts the postmaster on the same port and waits until `SELECT 1` answers. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('postgres is already running');
    const args = ['-D', join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir];
    args.push('-c', 'listen_addresses=127.0.0.1', '-c', `fsync=${this.fsync ? 'on' : 'off'}`);
    const options = { stdio: 'ignore' as const, cwd: this.dir, ...(this.user ?? {}) };
    const child = spawn(join(this.bindir, 'postgres'), args, options);
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 20_000;
    while (!(await this.answers())) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`postgres on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs one statement on a short-lived connection (test set-up and fault injection). */
  async query<T extends object = Record<string, unknown>>(text: string, database = 'postgres'): Promise<T[]> {
    const url = this.url.replace(/\/postgres$/, `/${database}`);
    const sql = postgres(url, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
    try {
      return [...(await sql.unsafe<T[]>(text))];
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  /** Stops the postmaster by PID: SIGTERM (smart shutdown), SIGINT (fast) or SIGKILL (a crash). */
  async stop(signal: 'SIGTERM' | 'SIGINT' | 'SIGKILL' = 'SIGINT'): Promise<void> {
    if (!this.child?.pid) return;
    await killAndWait(this.child, signal);
    this.child = undefined;
    // A postmaster killed by SIGKILL leaves its backends behind; they exit once they notice it.
    if (signal === 'SIGKILL') await new Promise((r) => setTimeout(r, 200));
  }

  /** Stops the server and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop('SIGINT').catch(() => this.stop('SIGKILL'));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async answers(): Promise<boolean> {
    const sql = postgres(this.url, { max: 1, onnotice: () => undefined, connect_timeout: 2 });
    try {
      await sql`SELECT 1`;
      return true;
    } catch {
      return false;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => undefined);
    }
  }
}
