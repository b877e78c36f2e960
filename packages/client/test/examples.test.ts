import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './support/test-server.js';
import { startTestServer } from './support/test-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);

/** The examples docs/sdk.md shows must run as printed. */
describe('examples/sdk-quickstart.ts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it.each([
    ['in-process', () => ({})],
    ['over the stream', () => ({ LEASEHOLD_URL: server.streamUrl })],
    ['over HTTP', () => ({ LEASEHOLD_URL: server.httpUrl, LEASEHOLD_TRANSPORT: 'http' })],
  ])('runs %s', async (_name, env) => {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'examples/sdk-quickstart.ts'],
      { cwd: ROOT, env: { ...process.env, ...env() } },
    );
    expect(stdout).toMatch(/holding lock:order:1001 with fencing token \d+/);
    expect(stdout).toContain('after the block the lock is free');
    expect(stdout).toMatch(/jobs done: \d+/);
    expect(stdout).toMatch(/lock:busy: lock lock:busy was not acquired \(held by lease \S+, token \d+\)/);
  });
});
