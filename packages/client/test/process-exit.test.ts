import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './support/test-server.js';
import { startTestServer } from './support/test-server.js';

const CHILD = fileURLToPath(new URL('./fixtures/using-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function runChild(env: NodeJS.ProcessEnv): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, lines: out.trim().split('\n') });
    });
  });
}

describe('a process that used the SDK', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it.each([
    ['stream', () => server.streamUrl],
    ['http', () => server.httpUrl],
  ])(
    'releases at the end of `await using` and exits promptly without close() (%s)',
    async (transport, url) => {
      const result = await runChild({ LEASEHOLD_URL: url(), LEASEHOLD_TRANSPORT: transport });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.lines[0]!)).toMatchObject({ acquired: true });
      expect(JSON.parse(result.lines[1]!)).toEqual({ heldAfterBlock: false, leaseLive: true });
      expect(result.lines[2]).toBe('done');
      const drainedMs = Number(result.lines[3]!.split(' ')[1]);
      console.log(
        `[${transport}] child's event loop drained ${drainedMs} ms after its last call (lease TTL 3000 ms)`,
      );
      expect(drainedMs).toBeLessThan(500);
    },
  );
});
