/**
 * The official Dapr JS SDK, unchanged, against a real Leasehold process, over HTTP and gRPC.
 * If these pass, an app written for a Dapr sidecar's lock API runs against Leasehold as is.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { Client, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer } from './support/server-process.js';
import type { ServerProcess } from './support/server-process.js';

const TOKEN = 'e2e-secret-token';
// The SDK's unlock statuses are Dapr's numbers: 0 SUCCESS, 1 LOCK_DOES_NOT_EXIST, 2 LOCK_BELONGS_TO_OTHERS.
const SUCCESS = 0;
const LOCK_DOES_NOT_EXIST = 1;
const LOCK_BELONGS_TO_OTHERS = 2;

type Protocol = 'HTTP' | 'GRPC';
const PROTOCOLS: Protocol[] = ['HTTP', 'GRPC'];

interface Refusal {
  /** HTTP status, or the gRPC status code. */
  readonly code: number;
  /** The Dapr error code over HTTP; gRPC carries only the message. */
  readonly errorCode?: string;
  readonly message: string;
}

/** What the SDK threw, in one shape: HTTP errors are JSON in the message, gRPC ones ConnectErrors. */
async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (error) {
    const { message, code, rawMessage } = error as { message: string; code?: number; rawMessage?: string };
    if (typeof code === 'number') return { code, message: rawMessage ?? message };
    const http = JSON.parse(message) as { status: number; error_msg: string };
    try {
      const body = JSON.parse(http.error_msg) as { errorCode: string; message: string };
      return { code: http.status, errorCode: body.errorCode, message: body.message };
    } catch {
      return { code: http.status, message: http.error_msg };
    }
  }
  throw new Error('expected the SDK call to be refused');
}

function sdkClient(server: ServerProcess, protocol: Protocol, daprApiToken?: string): DaprClient {
  return new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(protocol === 'HTTP' ? server.port : server.grpcPort),
    communicationProtocol: CommunicationProtocolEnum[protocol],
    logger: { level: LogLevel.Error },
    ...(daprApiToken === undefined ? {} : { daprApiToken }),
  });
}

async function startLeasehold(env: NodeJS.ProcessEnv): Promise<{ server: ServerProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-dapr-sdk-'));
  // Blank tokens from the outer environment so only `env` decides whether auth is on.
  const server = await spawnServer({
    dataDir: dir,
    env: { LEASEHOLD_API_TOKEN: '', DAPR_API_TOKEN: '', ...env },
  });
  return { server, dir };
}

describe('official @dapr/dapr SDK against a Leasehold process', () => {
  let server: ServerProcess;
  let dir: string;

  beforeAll(async () => {
    ({ server, dir } = await startLeasehold({}));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe.each(PROTOCOLS)('over %s', (protocol) => {
    let client: DaprClient;
    const name = (resource: string) => `${protocol}-${resource}`;

    beforeAll(() => {
      client = sdkClient(server, protocol);
    });
    afterAll(() => client.stop());

    it('passes the SDK’s start-up probe and reads the metadata', async () => {
      const metadata = await client.metadata.get();
      expect(metadata.id).toBe('leasehold');
    });

    it('lets one of two contending owners have the lock', async () => {
      expect(await client.lock.lock('lockstore', name('order-1'), 'alice', 30)).toEqual({ success: true });
      expect(await client.lock.lock('lockstore', name('order-1'), 'bob', 30)).toEqual({ success: false });
      expect(await client.lock.lock('lockstore', name('order-1'), 'alice', 30)).toEqual({ success: false });
    });

    it('answers unlock with SUCCESS, LOCK_BELONGS_TO_OTHERS and LOCK_DOES_NOT_EXIST', async () => {
      await client.lock.lock('lockstore', name('order-2'), 'alice', 30);
      expect(await client.lock.unlock('lockstore', name('order-2'), 'bob')).toEqual({
        status: LOCK_BELONGS_TO_OTHERS,
      });
      expect(await client.lock.unlock('lockstore', name('order-2'), 'alice')).toEqual({ status: SUCCESS });
      expect(await client.lock.unlock('lockstore', name('order-2'), 'alice')).toEqual({
        status: LOCK_DOES_NOT_EXIST,
      });
      expect(await client.lock.lock('lockstore', name('order-2'), 'bob', 30)).toEqual({ success: true });
    });

    it('frees a 1 s lock for another owner after about a second, not before', async () => {
      const started = Date.now();
      expect((await client.lock.lock('lockstore', name('short'), 'alice', 1)).success).toBe(true);
      expect((await client.lock.lock('lockstore', name('short'), 'bob', 1)).success).toBe(false);
      let taken = false;
      while (!taken && Date.now() - started < 3_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        taken = (await client.lock.lock('lockstore', name('short'), 'bob', 5)).success;
      }
      expect(taken).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(await client.lock.unlock('lockstore', name('short'), 'alice')).toEqual({
        status: LOCK_BELONGS_TO_OTHERS,
      });
    });

    it('rejects expiryInSeconds 0 as a malformed request', async () => {
      const refused = await refusal(client.lock.lock('lockstore', name('zero'), 'alice', 0));
      if (protocol === 'HTTP')
        expect(refused).toMatchObject({ code: 400, errorCode: 'ERR_MALFORMED_REQUEST' });
      else expect(refused.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.message).toBe('ExpiryInSeconds is not positive in lock store lockstore');
    });

    it('rejects an unknown store as ERR_LOCK_STORE_NOT_FOUND', async () => {
      const refused = await refusal(client.lock.lock('nostore', name('x'), 'alice', 10));
      if (protocol === 'HTTP')
        expect(refused).toMatchObject({ code: 400, errorCode: 'ERR_LOCK_STORE_NOT_FOUND' });
      else expect(refused.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.message).toBe('lock store nostore not found');
      const unlock = await refusal(client.lock.unlock('nostore', name('x'), 'alice'));
      expect(unlock.message).toBe('lock store nostore not found');
    });
  });

  it('shares one lock table between HTTP and gRPC', async () => {
    const http = sdkClient(server, 'HTTP');
    const grpc = sdkClient(server, 'GRPC');
    expect((await http.lock.lock('lockstore', 'shared', 'alice', 30)).success).toBe(true);
    expect((await grpc.lock.lock('lockstore', 'shared', 'bob', 30)).success).toBe(false);
    expect(await grpc.lock.unlock('lockstore', 'shared', 'alice')).toEqual({ status: SUCCESS });
    await Promise.all([http.stop(), grpc.stop()]);
  });

  it('answers another Dapr method (GetState) UNIMPLEMENTED and keeps serving', async () => {
    const raw = new Client(`127.0.0.1:${server.grpcPort}`, credentials.createInsecure());
    const error = await new Promise<ServiceError | null>((resolve) => {
      raw.makeUnaryRequest(
        '/dapr.proto.runtime.v1.Dapr/GetState',
        (request: Buffer) => request,
        (response: Buffer) => response,
        // GetStateRequest{store_name: "statestore", key: "k"}
        Buffer.concat([Buffer.from([0x0a, 10]), Buffer.from('statestore'), Buffer.from([0x12, 1, 0x6b])]),
        (err) => resolve(err),
      );
    });
    raw.close();
    expect(error?.code).toBe(status.UNIMPLEMENTED);
    const client = sdkClient(server, 'GRPC');
    expect((await client.lock.lock('lockstore', 'after-get-state', 'alice', 10)).success).toBe(true);
    expect(server.child.exitCode).toBeNull();
  });
});

// DAPR_API_TOKEN is what daprd reads; Leasehold honours it when LEASEHOLD_API_TOKEN is unset.
describe.each(['LEASEHOLD_API_TOKEN', 'DAPR_API_TOKEN'])(
  'official @dapr/dapr SDK against a Leasehold process with %s',
  (variable) => {
    let server: ServerProcess;
    let dir: string;

    beforeAll(async () => {
      ({ server, dir } = await startLeasehold({ [variable]: TOKEN }));
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    describe.each(PROTOCOLS)('over %s', (protocol) => {
      it('serves a client with the token', async () => {
        const client = sdkClient(server, protocol, TOKEN);
        expect((await client.lock.lock('lockstore', `${protocol}-guarded`, 'alice', 10)).success).toBe(true);
        expect(await client.lock.unlock('lockstore', `${protocol}-guarded`, 'alice')).toEqual({
          status: SUCCESS,
        });
        await client.stop();
      });

      it.each([undefined, 'wrong-token'])('refuses a client with token %s', async (token) => {
        const client = sdkClient(server, protocol, token);
        // Past the SDK's start-up probe, which would otherwise wait 30 s for a "sidecar" that refuses it.
        client.daprClient.setIsInitialized(true);
        const probe = await refusal(client.metadata.get());
        const lock = await refusal(client.lock.lock('lockstore', `${protocol}-guarded`, 'mallory', 10));
        for (const refused of [probe, lock]) {
          expect(refused.code).toBe(protocol === 'HTTP' ? 401 : status.UNAUTHENTICATED);
          // daprd's words: Go's http.Error body over HTTP, the HTTP status text over gRPC.
          expect(refused.message).toBe(protocol === 'HTTP' ? 'invalid api token\n' : 'Unauthorized');
        }
        await client.stop();
      });
    });
  },
);

describe('official @dapr/dapr SDK against a Leasehold process with a token file', () => {
  let server: ServerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leasehold-dapr-sdk-tokens-'));
    const file = join(dir, 'tokens.yaml');
    writeFileSync(file, '- {token: orders-token, appId: orders}\n- {token: billing-token, appId: billing}\n');
    server = await spawnServer({
      dataDir: dir,
      args: ['--api-token-file', file],
      env: { LEASEHOLD_API_TOKEN: '', DAPR_API_TOKEN: '' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(PROTOCOLS)(
    'gives each app its own lock space over %s, as each Dapr app has its own',
    async (protocol) => {
      const orders = sdkClient(server, protocol, 'orders-token');
      const billing = sdkClient(server, protocol, 'billing-token');
      const resource = `${protocol}-nightly-report`;
      expect(await orders.lock.lock('lockstore', resource, 'worker-1', 10)).toEqual({ success: true });
      expect(await billing.lock.lock('lockstore', resource, 'worker-1', 10)).toEqual({ success: true });
      expect(await orders.lock.lock('lockstore', resource, 'worker-2', 10)).toEqual({ success: false });
      expect(await billing.lock.unlock('lockstore', resource, 'worker-1')).toEqual({ status: SUCCESS });
      expect(await orders.lock.unlock('lockstore', resource, 'worker-1')).toEqual({ status: SUCCESS });
      await Promise.all([orders.stop(), billing.stop()]);
    },
  );
});
