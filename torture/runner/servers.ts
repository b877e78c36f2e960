import { dataDirWithComponent } from '../../packages/server/test/support/components.js';
import { spawnServer } from '../../packages/server/test/support/server-process.js';
import type { ServerProcess } from '../../packages/server/test/support/server-process.js';

/** The component a server runs: a store type and its metadata. */
export interface ServerComponent {
  readonly type: string;
  readonly metadata: Record<string, string>;
}

/**
 * The Leasehold servers of one run, sharing one store. Each keeps its data dir and port, so a
 * `kill -9` and a restart bring back the same server at the same address.
 */
export class ServerGroup {
  private readonly servers: (ServerProcess | undefined)[];

  private constructor(
    private readonly dataDirs: readonly string[],
    readonly ports: readonly number[],
    servers: ServerProcess[],
  ) {
    this.servers = servers;
  }

  /** Starts `count` servers on the component, each in a data dir of its own. */
  static async start(component: ServerComponent, count: number): Promise<ServerGroup> {
    const dataDirs = Array.from({ length: count }, () =>
      dataDirWithComponent(component.type, component.metadata),
    );
    const servers: ServerProcess[] = [];
    for (const dataDir of dataDirs) servers.push(await spawnPatiently(dataDir));
    return new ServerGroup(
      dataDirs,
      servers.map((server) => server.port),
      servers,
    );
  }

  /** The servers' base URLs, in order (a killed one keeps its URL). */
  get urls(): string[] {
    return this.ports.map((port) => `http://127.0.0.1:${port}`);
  }

  /** `kill -9` of server `index`; resolves once it has exited. */
  async kill(index: number): Promise<void> {
    const server = this.servers[index];
    this.servers[index] = undefined;
    await server?.stop('SIGKILL');
  }

  /** Starts server `index` again on its data dir and port; waits until it is healthy. */
  async restart(index: number): Promise<void> {
    if (this.servers[index]) return;
    this.servers[index] = await spawnPatiently(this.dataDirs[index]!, this.ports[index]);
  }

  /** What each server printed (for a report when something failed). */
  output(): string {
    return this.servers
      .map((server, i) => `server-${i}: ${server?.output().slice(-2_000) ?? '(down)'}`)
      .join('\n');
  }

  /** Stops every server (SIGTERM). */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map(async (server) => server?.stop()));
  }
}

/** Start attempts: on a loaded machine a server from source can miss spawnServer's 20 s once. */
const START_ATTEMPTS = 3;

/** Starts a server, trying again when it did not come up in time (a run without its server proves little). */
async function spawnPatiently(dataDir: string, port?: number): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnServer({ dataDir, ...(port === undefined ? {} : { port }) });
    } catch (error) {
      if (attempt >= START_ATTEMPTS) throw error;
    }
  }
}
