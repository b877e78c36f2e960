import type { LeaseholdError } from '@leasehold/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBackend } from '../../../test/support/backends.js';
import { EtcdCluster } from '../../../test/support/etcd-harness.js';
import { until } from '../../../test/support/sse-reader.js';
import { EtcdConnection } from './etcd-connection.js';
import { EtcdContext } from './etcd-context.js';
import { parseEtcdMetadata } from './etcd-metadata.js';
import { EtcdWatch } from './watch.js';

/** The mux's live gRPC stream, to make etcd itself cancel a watch (as it may for reasons of its own). */
interface MuxInternals {
  readonly stream?: { write(request: { cancel_request: { watch_id: number } }): void };
}

describeWithBackend('etcd', 'lock.etcd: a watch etcd cancels without a compact revision', (binary) => {
  let cluster: EtcdCluster;
  let ctx: EtcdContext;

  beforeAll(async () => {
    cluster = await EtcdCluster.start(binary, 1);
    const config = parseEtcdMetadata('lockstore', new Map([['endpoints', cluster.endpoints]]));
    ctx = new EtcdContext(new EtcdConnection(config));
  });

  afterAll(async () => {
    ctx?.mux.close();
    ctx?.conn.close();
    await cluster?.stop();
  });

  it('ends with an explicit UNAVAILABLE error, never silently', async () => {
    const errors: LeaseholdError[] = [];
    let live = false;
    const stop = new EtcdWatch(ctx).subscribe({
      prefix: '',
      onEvent: () => undefined,
      onLive: () => (live = true),
      onError: (error) => errors.push(error),
    });
    try {
      await until(() => live);
      // The first watch of this mux has id 1; etcd answers the cancel with compact_revision 0.
      (ctx.mux as unknown as MuxInternals).stream?.write({ cancel_request: { watch_id: 1 } });
      await until(() => errors.length > 0);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'UNAVAILABLE' });
      expect(errors[0]?.message).toMatch(/etcd cancelled the watch/);
    } finally {
      stop();
    }
  });
});
