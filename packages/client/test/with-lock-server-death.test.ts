import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../../server/test/support/server-process.js';
import { spawnServer } from '../../server/test/support/server-process.js';
import { LeaseLostError, LeaseholdClient } from '../src/index.js';

/**
 * When the server dies (`kill -9`) under a running withLock, the routine's signal fires once the
 * lease can no longer be proven alive, and withLock rejects with that reason at once: it neither
 * waits for a release the dead server cannot answer nor for a routine that ignores its signal.
 */
describe.each(['stream', 'http'] as const)('withLock when the server is killed (%s)', (transport) => {
  let dir: string | undefined;
  let server: ServerProcess | undefined;
  let client: LeaseholdClient | undefined;

  afterEach(async () => {
    await client?.close();
    await server?.stop('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['honours its signal', true],
    ['ignores its signal', false],
  ])('rejects within ~1 s of the signal firing when the routine %s', async (_label, honours) => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-withlock-'));
    server = await spawnServer({ dataDir: dir });
    client = new LeaseholdClient({ url: server.url, transport });
    let abortedAt: number | undefined;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));

    const outcome = client
      .withLock('job:killed', { ttlMs: 1_500 }, ({ signal }) => {
        signal.addEventListener('abort', () => (abortedAt = performance.now()), { once: true });
        started();
        return new Promise<never>((_resolve, reject) => {
          if (honours) signal.addEventListener('abort', () => reject(new Error('stopped by the signal')));
        });
      })
      .then(
        () => ({ at: performance.now(), error: undefined as unknown }),
        (error: unknown) => ({ at: performance.now(), error }),
      );

    await running;
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = performance.now();
    await server.stop('SIGKILL');
    const { at, error } = await outcome;

    expect(error).toBeInstanceOf(LeaseLostError);
    expect(abortedAt).toBeDefined();
    const afterSignalMs = at - abortedAt!;
    console.log(
      `[${transport}, routine ${honours ? 'honours' : 'ignores'} its signal] signal fired ` +
        `${Math.round(abortedAt! - killedAt)} ms after kill -9; withLock rejected ` +
        `${afterSignalMs.toFixed(1)} ms after the signal`,
    );
    expect(afterSignalMs).toBeLessThan(1_000);
  });
});
