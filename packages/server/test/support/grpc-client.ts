import { Client, Metadata, credentials } from '@grpc/grpc-js';
import type { ChannelCredentials, ChannelOptions, MethodDefinition } from '@grpc/grpc-js';
import { loadDaprService } from '../../src/grpc/index.js';

type Methods = Record<string, MethodDefinition<object, object>>;

/** A raw Dapr gRPC connection; `extra` is metadata beyond the token (e.g. `leasehold-app`). */
export interface Rpc {
  call(
    method: string,
    request: object,
    token?: string,
    extra?: Record<string, string>,
  ): Promise<Record<string, unknown>>;
  close(): void;
}

/**
 * A plain grpc-js client speaking our proto: what any Dapr SDK sends, minus the SDK. `options` go to
 * the channel (`grpc.use_local_subchannel_pool: 1` gives it a connection of its own).
 */
export async function connectRpc(
  port: number,
  channel: ChannelCredentials = credentials.createInsecure(),
  options: ChannelOptions = {},
): Promise<Rpc> {
  const methods = (await loadDaprService()) as unknown as Methods;
  const client = new Client(`127.0.0.1:${port}`, channel, options);
  return {
    call(method, request, token, extra = {}) {
      const definition = methods[method]!;
      const metadata = new Metadata();
      if (token !== undefined) metadata.set('dapr-api-token', token);
      for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          definition.path,
          definition.requestSerialize,
          definition.responseDeserialize,
          request,
          metadata,
          (error, response) => (error ? reject(error) : resolve(response as Record<string, unknown>)),
        );
      });
    },
    close: () => client.close(),
  };
}
