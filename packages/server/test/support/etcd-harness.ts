import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  process: ChildProcess | undefined;
  log: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A throwaway etcd cluster on loopback for tests: members on free ports, data in a temp folder
 * (in memory when /dev/shm exists), fast Raft timings. Members are stopped by PID, never by name.
 */
export class EtcdCluster {
  private constructor(
    private readonly binary: string,
    private readonly dataDir: string,
    private readonly members: Member[],
  ) {}

  /** Starts `size` members and waits until the cluster has a leader and every member is healthy. */
  static async start(binary: string, size = 3, retry = true): Promise<EtcdCluster> {
    const base = process.platform === 'linux' ? '/dev/shm' : tmpdir();
    const dataDir = mkdtempSync(join(base, 'leasehold-etcd-'));
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      members.push({
        name: `m${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        process: undefined,
        log: '',
      });
    }
    const cluster = new EtcdCluster(binary, dataDir, members);
    members.forEach((_, i) => cluster.spawnMember(i));
    try {
      await cluster.waitHealthy();
    } catch (error) {
      await cluster.stop();
      // A member that lost its free port to another process between the probe and its bind exits
      // at once: try once more on new ports.
      if (retry && error instanceof MemberExitedError) return EtcdCluster.start(binary, size, false);
      throw error;
    }
    return cluster;
  }

  /** Client endpoints as the `endpoints` metadata wants them. */
  get endpoints(): string {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
  }

  /** How many members the cluster has. */
  get size(): number {
    return this.members.length;
  }

  /** The ids of the running members' processes (the benchmarks read their CPU from /proc). */
  pids(): number[] {
    return this.members.flatMap((m) => (m.process?.pid === undefined ? [] : [m.process.pid]));
  }

  /** The index of the current leader, asking live members. */
  async leader(): Promise<number> {
    for (let i = 0; i < this.members.length; i++) {
      const status = await this.status(i);
      if (!status?.leader) continue;
      const index = this.members.findIndex((_, j) => this.memberIds.get(j) === status.leader);
      if (index >= 0) return index;
    }
    throw new Error('no member knows a leader');
  }

  /** `kill -9` of one member; resolves when its process has exited. */
  async kill(index: number): Promise<void> {
    const member = this.members[index]!;
    const child = member.process;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.down.add(index);
    process.kill(child.pid, 'SIGKILL');
    await exited;
    member.process = undefined;
  }

  /** Starts a stopped member again on its data and ports, and waits until the cluster is healthy. */
  async restart(index: number): Promise<void> {
    this.spawnMember(index);
    await this.waitHealthy();
  }

  /** Waits until every running member reports healthy (which needs a leader). */
  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A member gone without kill() crashed: waiting on the others would call a broken cluster healthy.
      const crashed = this.members.filter((m, i) => !m.process && !this.down.has(i));
      if (crashed.length > 0) {
        const logs = crashed.map((m) => `${m.name}: ${m.log.slice(-800)}`).join('\n');
        throw new MemberExitedError(
          `etcd member(s) ${crashed.map((m) => m.name).join(', ')} exited\n${logs}`,
        );
      }
      const running = this.members.map((m, i) => (m.process ? i : -1)).filter((i) => i >= 0);
      const healthy = await Promise.all(running.map((i) => this.healthy(i)));
      if (healthy.every(Boolean)) {
        for (const i of running) {
          const status = await this.status(i);
          if (status) this.memberIds.set(i, status.memberId);
        }
        return;
      }
      if (Date.now() > deadline) {
        const logs = this.members.map((m) => `${m.name}: ${m.log.slice(-800)}`).join('\n');
        throw new Error(`etcd cluster not healthy within ${timeoutMs} ms\n${logs}`);
      }
      await sleep(100);
    }
  }

  /** Kills every member by PID and removes the data folder. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i)));
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private readonly memberIds = new Map<number, string>();
  /** Members stopped on purpose (kill), not crashed. */
  private readonly down = new Set<number>();

  private spawnMember(index: number): void {
    const member = this.members[index]!;
    this.down.delete(index);
    const peers = this.members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    const client = `http://127.0.0.1:${member.clientPort}`;
    const peer = `http://127.0.0.1:${member.peerPort}`;
    const child = spawn(
      this.binary,
      [
        `--name=${member.name}`,
        `--data-dir=${join(this.dataDir, member.name)}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=${peers}`,
        '--initial-cluster-state=new',
        '--initial-cluster-token=leasehold-test',
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      member.log = (member.log + chunk.toString()).slice(-4_000);
    });
    child.once('exit', () => {
      if (member.process === child) member.process = undefined;
    });
    member.process = child;
  }

  private async healthy(index: number): Promise<boolean> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.members[index]!.clientPort}/health`, {
        signal: AbortSignal.timeout(1_000),
      });
      const body = (await response.json()) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }

  private async status(index: number): Promise<{ memberId: string; leader: string } | undefined> {
    if (!this.members[index]!.process) return undefined;
    try {
      const response = await fetch(
        `http://127.0.0.1:${this.members[index]!.clientPort}/v3/maintenance/status`,
        {
          method: 'POST',
          body: '{}',
          signal: AbortSignal.timeout(1_000),
        },
      );
      const body = (await response.json()) as { header?: { member_id?: string }; leader?: string };
      if (!body.header?.member_id) return undefined;
      return { memberId: body.header.member_id, leader: body.leader ?? '' };
    } catch {
      return undefined;
    }
  }
}

/** A member exited that nobody stopped: the cluster is not what the caller asked for. */
class MemberExitedError extends Error {}
