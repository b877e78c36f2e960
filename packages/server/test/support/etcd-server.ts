import { rmSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { dataDirWithComponent } from './components.js';
import { EtcdCluster } from './etcd-harness.js';
import { spawnServer } from './server-process.js';
import type { ServerProcess } from './server-process.js';

/** A one-member etcd and a Leasehold server on it (`lockstore`, `lock.etcd`), for one describe block. */
export interface EtcdServer {
  readonly cluster: EtcdCluster;
  readonly server: ServerProcess;
}

/**
 * Starts the etcd and the server before the block's tests and stops both (and removes the data dir)
 * after them; read the fields inside tests, once `beforeAll` has run.
 */
export function useEtcdServer(binary: string): EtcdServer {
  const state: { cluster?: EtcdCluster; server?: ServerProcess; dir?: string } = {};
  beforeAll(async () => {
    state.cluster = await EtcdCluster.start(binary, 1);
    state.dir = dataDirWithComponent('lock.etcd', { endpoints: state.cluster.endpoints });
    state.server = await spawnServer({ dataDir: state.dir });
  });
  afterAll(async () => {
    await state.server?.stop();
    await state.cluster?.stop();
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });
  return {
    get cluster() {
      return state.cluster!;
    },
    get server() {
      return state.server!;
    },
  };
}
