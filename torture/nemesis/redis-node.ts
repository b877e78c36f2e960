import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../packages/server/test/support/free-port.js';

/**
 * One redis-server for the torture run, persisting every write before it replies (`appendonly yes`,
 * `appendfsync always`: what docs/stores-redis.md says the store's promises need across a crash), with
 * its data in `<dir>/<name>`. It restarts on the same port and data after a `kill -9`. Stopped by PID.
 */
export class RedisNode {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    private readonly binary: string,
    readonly name: string,
    readonly port: number,
    private readonly dataDir: string,
  ) {}

  /** Starts a node named `name` with data under `dir`, and waits until it answers PING. */
  static async start(binary: string, dir: string, name: string): Promise<RedisNode> {
    const dataDir = join(dir, name);
    mkdirSync(dataDir, { recursive: true });
    const node = new RedisNode(binary, name, await freePort(), dataDir);
    await node.restart();
    return node;
  }

  /** The running process's id, or undefined while it is down. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process (again) on its port and data; waits until it has loaded its AOF and answers. */
  async restart(): Promise<void> {
    if (this.child) return;
    const child = spawn(
      this.binary,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dataDir, '--save', '']
        .concat(['--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no'])
        .concat(['--loglevel', 'warning']),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-2_000)));
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    this.child = child;
    await this.ready();
  }

  /** Resolves once the process answers PING (after a start, a SIGCONT); throws if it is down or stays silent. */
  async ready(timeoutMs = 15_000): Promise<void> {
    const child = this.child;
    const deadline = Date.now() + timeoutMs;
    while (!(await pong(this.port))) {
      if (!child || this.child !== child || Date.now() > deadline)
        throw new Error(`redis-server ${this.name} on ${this.port} is not answering: ${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** `kill -9`: resolves once the process has exited. A no-op while it is down. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGKILL');
    await exited;
    this.child = undefined;
  }

  /** SIGSTOP or SIGCONT: a Redis that hangs with its sockets open, then carries on. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    if (this.child?.pid !== undefined) process.kill(this.child.pid, signal);
  }
}

/** True when a fresh connection gets `+PONG` (not `-LOADING` while the AOF is replayed). */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (reply) => finish(reply.toString().startsWith('+PONG')));
  });
}
