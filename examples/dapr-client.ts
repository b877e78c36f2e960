/**
 * An ordinary Dapr app, unchanged, taking locks from Leasehold over HTTP and gRPC.
 *
 *   npm start                          # Leasehold on 3500 (HTTP) and 50001 (gRPC)
 *   npx tsx examples/dapr-client.ts    # DAPR_HTTP_PORT, DAPR_GRPC_PORT, DAPR_API_TOKEN are honoured
 */
import { randomUUID } from 'node:crypto';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';

const STORE = process.env.LOCK_STORE ?? 'lockstore';
// Dapr's unlock statuses, as numbers on the wire and in every SDK.
const SUCCESS = 0;
const LOCK_BELONGS_TO_OTHERS = 2;

async function demo(protocol: 'HTTP' | 'GRPC'): Promise<void> {
  // No host or port: the SDK reads DAPR_HTTP_PORT / DAPR_GRPC_PORT (default 3500 / 50001) and
  // DAPR_API_TOKEN, exactly as it would for a sidecar.
  const client = new DaprClient({
    communicationProtocol: CommunicationProtocolEnum[protocol],
    logger: { level: LogLevel.Warn },
  });
  const resource = `example-order-${randomUUID()}`;
  const me = `worker-${randomUUID()}`;
  try {
    const mine = await client.lock.lock(STORE, resource, me, 30);
    const theirs = await client.lock.lock(STORE, resource, 'another-worker', 30);
    const byOther = await client.lock.unlock(STORE, resource, 'another-worker');
    const released = await client.lock.unlock(STORE, resource, me);
    const ok =
      mine.success &&
      !theirs.success &&
      Number(byOther.status) === LOCK_BELONGS_TO_OTHERS &&
      Number(released.status) === SUCCESS;
    console.log(
      `${protocol.padEnd(4)}: lock=${mine.success} contender=${theirs.success} ` +
        `unlock-by-other=${byOther.status} unlock=${released.status} -> ${ok ? 'success' : 'FAILED'}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await client.stop();
  }
}

/** What Leasehold adds: the HTTP lock reply also carries a fencing token (SDKs ignore it). */
async function fencingToken(): Promise<void> {
  const base = `http://127.0.0.1:${process.env.DAPR_HTTP_PORT ?? '3500'}`;
  const token = process.env.DAPR_API_TOKEN;
  const headers = { 'content-type': 'application/json', ...(token ? { 'dapr-api-token': token } : {}) };
  const body = { resourceId: `example-fenced-${randomUUID()}`, lockOwner: 'me', expiryInSeconds: 10 };
  const reply = await fetch(`${base}/v1.0-alpha1/lock/${STORE}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  console.log(`fencing token of a fresh grant: ${JSON.stringify(await reply.json())}`);
  await fetch(`${base}/v1.0-alpha1/unlock/${STORE}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

try {
  await demo('HTTP');
  await demo('GRPC');
  await fencingToken();
} catch (error) {
  console.error('the example failed:', error);
  process.exitCode = 1;
}
