import { Client, credentials, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { Caller, StoreBinding } from '@leasehold/core';
import { LocalStore, LeaseholdService } from '@leasehold/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../auth.js';
import { connectRpc as connect } from '../../test/support/grpc-client.js';
import type { Rpc } from '../../test/support/grpc-client.js';
import { startGrpcServer } from './grpc-server.js';
import type { RunningGrpcServer } from './grpc-server.js';
import {
  DAPR_MESSAGE_CASES,
  DAPR_NO_STORE_CASES,
  GRPC_TOKEN_REFUSAL,
} from '../../test/support/dapr-messages.js';
import type { DaprMessageCase } from '../../test/support/dapr-messages.js';
import { readStatusDetails } from '../../test/support/grpc-status.js';

/** Calls Dapr's GetState, which Leasehold does not declare; resolves with the status code. */
async function getState(port: number): Promise<number | undefined> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    return await new Promise<number | undefined>((resolve) => {
      client.makeUnaryRequest(
        '/dapr.proto.runtime.v1.Dapr/GetState',
        (request: Buffer) => request,
        (response: Buffer) => response,
        Buffer.from([0x0a, 0x01, 0x73]),
        (err) => resolve(err?.code),
      );
    });
  } finally {
    client.close();
  }
}

function failure(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as ServiceError,
  );
}

function binding(store: LocalStore, name = 'lockstore'): StoreBinding {
  return { name, type: 'lock.memory', keyPrefix: 'appid', store };
}

const open = (caller: Caller) => ({ authenticate: () => caller, authEnabled: false });

describe('Dapr gRPC API', () => {
  const store = new LocalStore();
  const broken = new LocalStore();
  broken.locks.describe = () => Promise.reject(new Error('disk on fire'));
  const service = new LeaseholdService([binding(store), binding(broken, 'broken')]);
  const log = vi.fn();
  let server: RunningGrpcServer;
  let rpc: Rpc;

  beforeAll(async () => {
    server = await startGrpcServer({
      service,
      ...open({ appId: 'orders', role: 'app' }),
      host: '127.0.0.1',
      port: 0,
      log,
    });
    rpc = await connect(server.port);
  });
  afterAll(async () => {
    rpc.close();
    await server.close();
    await store.close();
    await broken.close();
  });

  const lock = (resourceId: string, lockOwner: string, expiryInSeconds = 10, storeName = 'lockstore') =>
    rpc.call('TryLockAlpha1', { storeName, resourceId, lockOwner, expiryInSeconds });
  const unlock = (resourceId: string, lockOwner: string, storeName = 'lockstore') =>
    rpc.call('UnlockAlpha1', { storeName, resourceId, lockOwner });

  it('grants a free lock with a fencing token, and refuses it to everyone else while held', async () => {
    const first = await lock('order-1', 'alice');
    expect(first.success).toBe(true);
    expect(first.fencingToken).toBeGreaterThan(0);
    expect(await lock('order-1', 'bob')).toMatchObject({ success: false, fencingToken: 0 });
    expect((await lock('order-1', 'alice')).success).toBe(false);
  });

  it('answers unlock with SUCCESS, LOCK_BELONGS_TO_OTHERS and LOCK_DOES_NOT_EXIST', async () => {
    await lock('order-2', 'alice');
    expect(await unlock('order-2', 'bob')).toEqual({ status: 2 });
    expect(await unlock('order-2', 'alice')).toEqual({ status: 0 });
    expect(await unlock('order-2', 'alice')).toEqual({ status: 1 });
  });

  it('issues a larger fencing token on every new grant', async () => {
    const first = await lock('order-3', 'alice');
    await unlock('order-3', 'alice');
    const second = await lock('order-3', 'bob');
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken as number);
  });

  const send = (c: DaprMessageCase) =>
    c.method === 'lock'
      ? rpc.call('TryLockAlpha1', { storeName: c.store, ...c.request })
      : rpc.call('UnlockAlpha1', { storeName: c.store, ...c.request });

  it.each(DAPR_MESSAGE_CASES.map((c) => [c.name, c] as const))(
    "answers %s with daprd's status and message, word for word",
    async (_name, c) => {
      const error = await failure(send(c));
      expect(error.code).toBe(status[c.grpcStatus]);
      expect(error.details).toBe(c.message);
    },
  );

  it.each([
    // protobufjs sends a lone surrogate as the bytes ED A0 80, which are not UTF-8.
    [{ resourceId: 'a\ud800' }, 'resourceId: must be well-formed UTF-8'],
    [{ lockOwner: '\udfff' }, 'lockOwner: must be well-formed UTF-8'],
    [{ resourceId: 'r'.repeat(1025) }, 'resourceId: must be at most 1024 bytes of UTF-8, got 1025'],
    [{ lockOwner: 'o'.repeat(257) }, 'lockOwner: must be at most 256 bytes of UTF-8, got 257'],
    // Before daprd's `||` refusal, which would quote the whole name back.
    [{ resourceId: `||${'r'.repeat(1023)}` }, 'resourceId: must be at most 1024 bytes of UTF-8, got 1025'],
  ])('refuses %j, past our own limit, as INVALID_ARGUMENT naming it', async (change, message) => {
    const request = {
      storeName: 'lockstore',
      resourceId: 'r',
      lockOwner: 'o',
      expiryInSeconds: 5,
      ...change,
    };
    const error = await failure(rpc.call('TryLockAlpha1', request));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe(message);
  });

  it('takes any positive int32 expiryInSeconds, as daprd does: 2147483647 holds', async () => {
    expect((await lock('forever', 'alice', 2_147_483_647)).success).toBe(true);
    expect((await lock('forever', 'bob', 5)).success).toBe(false);
    expect(await unlock('forever', 'alice')).toEqual({ status: 0 });
  });

  it.each([
    ['a truncated message', Buffer.from([0x12, 0x05, 0x61])],
    ['a string field that is not UTF-8', Buffer.from([0x12, 0x02, 0xc3, 0x28])],
  ])('answers %s INVALID_ARGUMENT, not INTERNAL', async (_name, bytes) => {
    const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
    try {
      const error = await new Promise<ServiceError | null>((resolve) => {
        client.makeUnaryRequest(
          '/dapr.proto.runtime.v1.Dapr/TryLockAlpha1',
          (request: Buffer) => request,
          (response: Buffer) => response,
          bytes,
          (err) => resolve(err),
        );
      });
      expect(error?.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
  });

  it('answers a store failure INTERNAL and logs its cause once', async () => {
    log.mockClear();
    const error = await failure(lock('r', 'o', 5, 'broken'));
    expect(error.code).toBe(status.INTERNAL);
    expect(error.details).toBe('failed to try acquiring lock: disk on fire');
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![1]).toBeInstanceOf(Error);
  });

  it('describes itself in GetMetadata: the app id and the lock stores', async () => {
    expect(await rpc.call('GetMetadata', {})).toEqual({
      id: 'orders',
      registeredComponents: [
        { name: 'lockstore', type: 'lock.memory', version: 'v1', capabilities: [] },
        { name: 'broken', type: 'lock.memory', version: 'v1', capabilities: [] },
      ],
    });
  });

  it('refuses a request over 64 KiB and keeps serving', async () => {
    const error = await failure(lock('x'.repeat(70 * 1024), 'alice'));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await lock('after-oversized', 'alice')).success).toBe(true);
  });

  it('answers every other Dapr method UNIMPLEMENTED and keeps serving', async () => {
    expect(await getState(server.port)).toBe(status.UNIMPLEMENTED);
    expect((await lock('after-unimplemented', 'alice')).success).toBe(true);
  });
});

describe('Dapr gRPC API without lock stores', () => {
  let server: RunningGrpcServer;
  let rpc: Rpc;
  beforeAll(async () => {
    server = await startGrpcServer({
      service: new LeaseholdService([]),
      ...open({ appId: 'a', role: 'app' }),
      host: '127.0.0.1',
      port: 0,
    });
    rpc = await connect(server.port);
  });
  afterAll(async () => {
    rpc.close();
    await server.close();
  });

  it.each(DAPR_NO_STORE_CASES.map((c) => [c.name, c] as const))(
    "answers %s with daprd's status and message",
    async (_name, c) => {
      const method = c.method === 'lock' ? 'TryLockAlpha1' : 'UnlockAlpha1';
      const error = await failure(rpc.call(method, { storeName: c.store, ...c.request }));
      expect(error.code).toBe(status[c.grpcStatus]);
      expect(error.details).toBe(c.message);
    },
  );
});

describe('Dapr gRPC API with tokens', () => {
  const store = new LocalStore();
  const service = new LeaseholdService([binding(store)]);
  const log = vi.fn();
  let server: RunningGrpcServer;
  let rpc: Rpc;

  beforeAll(async () => {
    const auth = createAuthenticator({ appId: 'orders', apiToken: 'right' });
    server = await startGrpcServer({
      service,
      authenticate: (token) => auth.authenticate(token),
      authEnabled: auth.enabled,
      host: '127.0.0.1',
      port: 0,
      log,
    });
    rpc = await connect(server.port);
  });
  afterAll(async () => {
    rpc.close();
    await server.close();
    await store.close();
  });

  it.each([undefined, 'wrong'])('refuses token %s as daprd does, on every method', async (token) => {
    for (const [method, request] of [
      ['GetMetadata', {}],
      ['TryLockAlpha1', { storeName: 'lockstore', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 }],
      ['UnlockAlpha1', { storeName: 'lockstore', resourceId: 'r', lockOwner: 'o' }],
    ] as const) {
      const error = await failure(rpc.call(method, request, token));
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details).toBe(GRPC_TOKEN_REFUSAL.details);
      const [bin] = error.metadata.get('grpc-status-details-bin');
      expect(readStatusDetails(bin as Buffer)).toEqual({
        code: status.UNAUTHENTICATED,
        message: GRPC_TOKEN_REFUSAL.details,
        details: [
          {
            typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'Unauthorized',
            domain: 'dapr.io',
            metadata: {
              'http.code': '401',
              'http.error_message':
                token === undefined ? GRPC_TOKEN_REFUSAL.missing : GRPC_TOKEN_REFUSAL.mismatch,
            },
          },
        ],
      });
    }
    expect(log).not.toHaveBeenCalled();
  });

  it('answers an undeclared method UNIMPLEMENTED whatever the token', async () => {
    expect(await getState(server.port)).toBe(status.UNIMPLEMENTED);
  });

  it('serves the right token as its app', async () => {
    expect(await rpc.call('GetMetadata', {}, 'right')).toMatchObject({ id: 'orders' });
    const request = { storeName: 'lockstore', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 };
    expect(await rpc.call('TryLockAlpha1', request, 'right')).toMatchObject({ success: true });
  });
});

describe('unexpected errors', () => {
  it('are answered INTERNAL without their message, and logged', async () => {
    const service = new LeaseholdService([]);
    service.listStores = () => {
      throw new Error('secret detail');
    };
    const log = vi.fn();
    const server = await startGrpcServer({
      service,
      ...open({ appId: 'a', role: 'app' }),
      host: '127.0.0.1',
      port: 0,
      log,
    });
    const rpc = await connect(server.port);
    try {
      const error = await failure(rpc.call('GetMetadata', {}));
      expect(error.code).toBe(status.INTERNAL);
      expect(error.details).toBe('internal error');
      expect(log).toHaveBeenCalledTimes(1);
      expect(String(log.mock.calls[0]![1])).toMatch(/secret detail/);
    } finally {
      rpc.close();
      await server.close();
    }
  });
});
