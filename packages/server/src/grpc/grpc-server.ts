import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { load } from '@grpc/proto-loader';
import type { Caller, LeaseholdService } from '@leasehold/core';
import { daprService } from './dapr-service.js';
import { strictRequests } from './strict-decode.js';

/** Settings of the Dapr-compatible gRPC server. */
export interface GrpcServerOptions {
  readonly service: LeaseholdService;
  readonly authenticate: (token: string | undefined) => Caller | undefined;
  readonly authEnabled: boolean;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** TLS credentials; plain-text HTTP/2 (h2c) when absent. */
  readonly credentials?: ServerCredentials;
  readonly log?: (msg: string, err?: unknown) => void;
}

/** A listening gRPC server. */
export interface RunningGrpcServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Our own subset of Dapr's runtime proto; the same path from src/ and dist/. */
export const DAPR_PROTO_PATH = fileURLToPath(new URL('../../proto/dapr.proto', import.meta.url));

const SERVICE_NAME = 'dapr.proto.runtime.v1.Dapr';
/** Dapr lock requests are tiny; the HTTP lock routes allow the same. */
const MAX_REQUEST_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 5_000;

/** Loads the proto the way the server decodes it: camelCase fields, proto3 defaults filled in. */
export async function loadDaprService(): Promise<ServiceDefinition> {
  const definition = await load(DAPR_PROTO_PATH, {
    keepCase: false,
    longs: Number,
    enums: Number,
    defaults: true,
  });
  return definition[SERVICE_NAME] as ServiceDefinition;
}

/**
 * Serves `dapr.proto.runtime.v1.Dapr` on HTTP/2, plain-text unless given TLS credentials. Only the lock and metadata methods
 * are registered, so grpc-js answers every other Dapr method UNIMPLEMENTED and keeps serving.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const log = options.log ?? ((msg: string, err?: unknown) => console.error(msg, err ?? ''));
  const server = new Server({
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    // No channelz service is registered, so its per-call bookkeeping would serve nobody.
    'grpc.enable_channelz': 0,
  });
  const definition = strictRequests(await loadDaprService(), ['TryLockAlpha1', 'UnlockAlpha1']);
  server.addService(definition, daprService({ ...options, log }));
  const address = options.host.includes(':')
    ? `[${options.host}]:${options.port}`
    : `${options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, options.credentials ?? ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  return { port, close: () => shutdown(server) };
}

/** Lets calls in flight finish, then cuts whatever is left after a grace period. */
function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
