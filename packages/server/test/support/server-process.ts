import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

/** The repository root, where `tsx` resolves. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const BUILT_MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A real server process, started from source (or from the build, for benchmarks). */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly grpcPort: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and waits for the exit; resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

/** Starts `main.ts` on free loopback ports with the given data dir and waits until /healthz answers. */
export async function spawnServer(options: {
  dataDir: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  port?: number;
  /** The CA of the server's `--tls-cert` (in `args`): the URL is https and health is probed over TLS. */
  ca?: string;
  /** Runs the compiled server (`dist/main.js`, `npm run build` first) instead of the sources through tsx. */
  built?: boolean;
}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const grpcPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(options.built === true ? [BUILT_MAIN] : ['--conditions=source', '--import', 'tsx', MAIN]),
      '--port',
      String(port),
      '--grpc-port',
      String(grpcPort),
      '--data-dir',
      options.dataDir,
      '--components-path',
      `${options.dataDir}/components`,
      '--min-ttl-ms',
      '100',
      ...(options.args ?? []),
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        // A token in the runner's environment must not switch auth on by accident.
        LEASEHOLD_API_TOKEN: '',
        DAPR_API_TOKEN: '',
        LEASEHOLD_LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = `${options.ca === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const healthy = async () =>
    options.ca === undefined
      ? (await fetch(`${url}/healthz`)).ok
      : (await httpsGet(`${url}/healthz`, { ca: options.ca })).status === 200;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${log}`);
    try {
      if (await healthy()) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start within 20 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    grpcPort,
    child,
    output: () => log,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** POSTs JSON and returns the status and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  init: RequestInit = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : safeJson(text) };
}

/** GETs and returns the status and parsed body. */
export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : safeJson(text) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** GETs over HTTPS trusting `ca` (global fetch cannot be given a CA); optional client certificate. */
export function httpsGet(
  url: string,
  options: { ca: string; cert?: string; key?: string; headers?: Record<string, string> },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, {
      ca: options.ca,
      ...(options.cert === undefined ? {} : { cert: options.cert, key: options.key }),
      headers: options.headers ?? {},
      agent: false,
    });
    request.on('error', reject);
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.end();
  });
}
