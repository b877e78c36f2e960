import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort } from './support/free-port.js';
import { REPO_ROOT } from './support/server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'leasehold-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The status of GET url, or undefined while nothing listens. */
function status(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Whether the client stream upgrades at once (a 404 here is what a client racing start-up saw). */
function streamOpens(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.on('open', () => {
      socket.close();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function tcpOpens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

describe('server start-up', () => {
  it('answers /healthz only once the client stream and gRPC answer too', async () => {
    const [port, grpcPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'packages/server/src/main.ts'],
      {
        cwd: REPO_ROOT,
        stdio: 'ignore',
        env: {
          ...process.env,
          LEASEHOLD_PORT: String(port),
          LEASEHOLD_GRPC_PORT: String(grpcPort),
          LEASEHOLD_DATA_DIR: join(dir, 'data'),
          LEASEHOLD_COMPONENTS_PATH: join(dir, 'no-components'),
          LEASEHOLD_LOG_LEVEL: 'error',
        },
      },
    );
    try {
      // Poll as tightly as the loop allows, so the first 200 lands as early as the server can give it.
      const deadline = Date.now() + 30_000;
      while ((await status(`http://127.0.0.1:${port}/healthz`)) !== 200) {
        expect(Date.now()).toBeLessThan(deadline);
      }
      const [stream, grpc] = await Promise.all([
        streamOpens(`ws://127.0.0.1:${port}/v1/stream`),
        tcpOpens(grpcPort),
      ]);
      expect({ stream, grpc }).toEqual({ stream: true, grpc: true });
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});
