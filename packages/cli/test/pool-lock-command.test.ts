import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import type { ServerProcess } from '../../server/test/support/server-process.js';
import { getJson, spawnServer } from '../../server/test/support/server-process.js';
import { runCli, startCli } from './support/run-cli.js';

const ACQUIRED_PERMIT = /acquired 1 permit of semaphore pool \(token (\d+), lease (\S+)\)/;
const ACQUIRED_READ = /acquired read\/write lock cfg for read \(token (\d+), lease (\S+)\)/;
const ACQUIRED_WRITE = /acquired read\/write lock cfg for write \(token (\d+), lease (\S+)\)/;

// Each test starts up to ten CLI processes one after another (each a node with tsx): on a loaded
// machine that alone can take half a minute.
describe(
  'leasehold lock with --permits/--limit and --read/--write (real processes)',
  { timeout: 120_000 },
  () => {
    let dir: string;
    let server: ServerProcess;
    let n = 0;

    /** A command that runs until `release()` is called: it waits for a file to appear. */
    function gate(): { command: string[]; release(): void } {
      const file = join(dir, `gate-${++n}`);
      return {
        command: ['sh', '-c', 'while [ ! -e "$0" ]; do sleep 0.05; done', file],
        release: () => writeFileSync(file, ''),
      };
    }
    const semaphore = (name: string) => getJson(`${server.url}/v1/lockstore/semaphores?name=${name}`);
    const rwlock = (name: string) => getJson(`${server.url}/v1/lockstore/rwlocks?name=${name}`);
    const leases = async () => (await getJson(`${server.url}/v1/lockstore/leases`)).body.leases.length;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'leasehold-cli-pools-'));
      server = await spawnServer({ dataDir: dir });
    });
    afterAll(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs two --permits 1 --limit 2 commands at once; a third waits for a permit and runs when one ends', async () => {
      const take = ['lock', 'pool', '--permits', '1', '--limit', '2'];
      const [first, second, third] = [gate(), gate(), gate()];
      const a = startCli([...take, '--', ...first.command], server.url);
      const b = startCli([...take, '--', ...second.command], server.url);
      await a.waitForStderr(ACQUIRED_PERMIT);
      await b.waitForStderr(ACQUIRED_PERMIT);
      const c = startCli([...take, '--wait', '30s', '--', ...third.command], server.url);
      await expect.poll(async () => (await semaphore('pool')).body.waiters, { timeout: 15_000 }).toBe(1);
      expect((await semaphore('pool')).body).toMatchObject({ limit: 2, used: 2 });
      expect(c.stderr()).not.toContain('acquired');
      const status = await runCli(['status', 'pool', '--semaphore'], server.url);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('pool: 2 of 2 permits used, 1 waiting');
      expect(status.stdout).toMatch(/LEASE\s+OWNER\s+PERMITS\s+TOKEN\s+HELD/);
      const listed = JSON.parse((await runCli(['status', '--semaphore', '--json'], server.url)).stdout);
      expect(listed).toContainEqual(expect.objectContaining({ name: 'pool', limit: 2, used: 2, waiters: 1 }));

      // Without --wait a fourth gives up at once, saying how full the semaphore is.
      const busy = await runCli([...take, '--', 'true'], server.url);
      expect(busy.code).toBe(EXIT.NOT_ACQUIRED);
      expect(busy.stderr).toContain('semaphore pool: 1 permit not acquired (0 free, 1 waiting)');

      first.release();
      expect(await a.exited).toBe(0);
      const [, token, leaseId] = await c.waitForStderr(ACQUIRED_PERMIT);
      const held = (await semaphore('pool')).body;
      expect(held).toMatchObject({ used: 2, waiters: 0 });
      expect(held.holders).toContainEqual(
        expect.objectContaining({ leaseId, permits: 1, fencingToken: Number(token) }),
      );
      second.release();
      third.release();
      expect([await b.exited, await c.exited]).toEqual([0, 0]);
      // Every permit was released on the way out: the semaphore went idle and is gone.
      expect((await semaphore('pool')).status).toBe(404);
    });

    it('gives the command the semaphore in its environment and passes its exit code through', async () => {
      const result = await runCli(
        [
          'lock',
          'pool2',
          '--permits',
          '2',
          '--limit',
          '3',
          '--',
          'sh',
          '-c',
          'echo "$LEASEHOLD_LOCK $LEASEHOLD_LOCK_KIND $LEASEHOLD_PERMITS $LEASEHOLD_FENCING_TOKEN"; exit 3',
        ],
        server.url,
      );
      expect(result.code).toBe(3);
      const token = /token (\d+)/.exec(result.stderr)?.[1];
      expect(result.stdout.trim()).toBe(`pool2 semaphore 2 ${token}`);
    });

    it('runs two --read commands at once; --write waits for both, and a --read behind it waits for the writer', async () => {
      const [read1, read2, write, read3] = [gate(), gate(), gate(), gate()];
      const r1 = startCli(['lock', 'cfg', '--read', '--', ...read1.command], server.url);
      const r2 = startCli(['lock', 'cfg', '--read', '--', ...read2.command], server.url);
      await r1.waitForStderr(ACQUIRED_READ);
      await r2.waitForStderr(ACQUIRED_READ);
      const w = startCli(['lock', 'cfg', '--write', '--wait', '30s', '--', ...write.command], server.url);
      await expect.poll(async () => (await rwlock('cfg')).body.waiters, { timeout: 15_000 }).toBe(1);
      // Task-fair: a reader that comes after a queued writer queues behind it.
      const r3 = startCli(['lock', 'cfg', '--read', '--wait', '30s', '--', ...read3.command], server.url);
      await expect.poll(async () => (await rwlock('cfg')).body.waiters, { timeout: 15_000 }).toBe(2);
      const state = (await rwlock('cfg')).body;
      expect(state.mode).toBe('read');
      expect(state.holders).toHaveLength(2);
      expect(w.stderr()).not.toContain('acquired');
      const status = await runCli(['status', 'cfg', '--rwlock'], server.url);
      expect(status.stdout).toContain('cfg: held for read, 2 waiting');
      expect(status.stdout.match(/\sread\s/g)).toHaveLength(2);
      expect((await runCli(['status', '--rwlock'], server.url)).stdout).toMatch(/cfg\s+read\s+2\s+2/);

      read1.release();
      expect(await r1.exited).toBe(0);
      expect((await rwlock('cfg')).body).toMatchObject({ mode: 'read', waiters: 2 });
      read2.release();
      expect(await r2.exited).toBe(0);
      await w.waitForStderr(ACQUIRED_WRITE);
      expect((await rwlock('cfg')).body).toMatchObject({ mode: 'write', waiters: 1 });
      expect(r3.stderr()).not.toContain('acquired');
      write.release();
      expect(await w.exited).toBe(0);
      await r3.waitForStderr(ACQUIRED_READ);
      read3.release();
      expect(await r3.exited).toBe(0);
    });

    it('stops a --write command with exit 76 when its lease is revoked', async () => {
      const w = startCli(['lock', 'cfg2', '--write', '--ttl', '5s', '--', 'sleep', '30'], server.url);
      const [, , leaseId] = await w.waitForStderr(
        /acquired read\/write lock cfg2 for write \(token (\d+), lease (\S+)\)/,
      );
      const response = await fetch(`${server.url}/v1/lockstore/leases/${leaseId}`, { method: 'DELETE' });
      expect(await response.json()).toEqual({ revoked: true });
      expect(await w.exited).toBe(EXIT.LOST);
      expect(w.stderr()).toMatch(/lost/);
    });

    it('refuses combinations that mean nothing, naming the flag and the limit, and locks nothing', async () => {
      const before = await leases();
      const cases: [string[], string][] = [
        [['--read', '--permits', '2'], '--permits: a read/write lock (--read) has no permits or limit'],
        [['--write', '--limit', '2'], '--limit: a read/write lock (--write) has no permits or limit'],
        [['--read', '--write'], '--read and --write: give one mode, not both'],
        [['--permits', '3', '--limit', '2'], '--permits: must be at most --limit (2), got 3'],
        [['--permits', '0'], '--permits: must be between 1 and 65535, got 0'],
        [['--limit', '70000'], '--limit: must be between 1 and 65535, got 70000'],
        [['--permits', 'two'], '--permits: expected an integer, got "two"'],
      ];
      const results = await Promise.all(
        cases.map(([flags]) => runCli(['lock', 'bad', ...flags, '--', 'true'], server.url)),
      );
      results.forEach((result, i) => {
        expect(result.code, cases[i]![0].join(' ')).toBe(EXIT.USAGE);
        expect(result.stderr).toContain(`leasehold: ${cases[i]![1]}`);
        expect(result.stderr).toContain('Usage: leasehold lock NAME');
      });
      expect(await leases()).toBe(before);
      expect((await semaphore('bad')).status).toBe(404);
    });

    it('reports a limit that disagrees as LIMIT_MISMATCH, and an unknown semaphore as NOT_FOUND (exit 1), revoking the lease', async () => {
      const hold = gate();
      const holder = startCli(['lock', 'pool3', '--limit', '2', '--', ...hold.command], server.url);
      await holder.waitForStderr(/acquired 1 permit of semaphore pool3/);
      const before = await leases();
      const result = await runCli(['lock', 'pool3', '--limit', '3', '--', 'true'], server.url);
      expect(result.code).toBe(EXIT.ERROR);
      expect(result.stderr).toContain('LIMIT_MISMATCH');
      expect(await leases()).toBe(before);
      // --permits alone needs a semaphore someone made.
      const absent = await runCli(['lock', 'nobody-made-this', '--permits', '1', '--', 'true'], server.url);
      expect(absent.code).toBe(EXIT.ERROR);
      expect(absent.stderr).toContain('NOT_FOUND');
      expect(await leases()).toBe(before);
      hold.release();
      expect(await holder.exited).toBe(0);
    });
  },
);
