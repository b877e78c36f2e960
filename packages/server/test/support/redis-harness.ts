import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { killAndWait } from './kill-and-wait.js';

/** A redis-server child process on 127.0.0.1, for tests; can be killed and restarted on its port. */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    private readonly binary: string,
    readonly port: number,
    private readonly dir: string,
    private readonly args: readonly string[],
  ) {}

  /** Starts redis-server from `binary` on a free port and waits until it answers PING. */
  static async start(binary: string): Promise<RedisServer> {
    const [port, dir] = [await freePort(), mkdtempSync(join(tmpdir(), 'leasehold-redis-'))];
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    const server = new RedisServer(binary, port, dir, [
      ...args,
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ]);
    await server.restart();
    return server;
  }

  /** Starts a Sentinel (redis-server --sentinel) that monitors `master` as `masterName`. */
  static async startSentinel(binary: string, master: RedisServer, masterName: string): Promise<RedisServer> {
    const [port, dir] = [await freePort(), mkdtempSync(join(tmpdir(), 'leasehold-sentinel-'))];
    const config = join(dir, 'sentinel.conf');
    const lines = [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'daemonize no', 'loglevel warning'];
    lines.push(`sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`);
    writeFileSync(config, `${lines.join('\n')}\n`);
    const server = new RedisServer(binary, port, dir, [config, '--sentinel']);
    await server.restart();
    return server;
  }

  /** `host:port` as the store's metadata wants it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The running process's id (the benchmarks read its CPU from /proc), or undefined when stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** (Re)starts the process on the same port, with no persistence. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn(this.binary, this.args, { stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(this.port))) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the process by PID: SIGTERM, or SIGKILL for a crash. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (!this.child?.pid) return;
    await killAndWait(this.child, signal);
    this.child = undefined;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the process: a Redis that hangs without closing sockets. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    if (this.child?.pid) process.kill(this.child.pid, signal);
  }

  /** Stops the process and removes its directory. */
  async destroy(): Promise<void> {
    this.signal('SIGCONT');
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
