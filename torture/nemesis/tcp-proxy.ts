import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** How a cut behaves: `reset` destroys connections (the server sees an error), `blackhole` stalls them (a hang). */
export type CutMode = 'reset' | 'blackhole';

/** One accepted connection and its upstream half. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
}

/**
 * A TCP proxy on loopback that the harness owns, between a Leasehold server and one backend process.
 * `cut('reset')` sends RST on every live connection and on each new one until `restore()`;
 * `cut('blackhole')` stops reading on both sides, so bytes sit in kernel buffers and nobody is told
 * anything, as in a partition where packets are dropped; `restore()` resumes them, as TCP would
 * once retransmissions get through. Every socket is tracked, so `close()` leaves nothing behind.
 */
export class TcpProxy {
  private mode: 'open' | CutMode = 'open';
  private readonly links = new Set<Link>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetPort: number,
  ) {}

  /** Listens on a free loopback port and forwards each connection to 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const proxy = new TcpProxy(server, (server.address() as AddressInfo).port, targetPort);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  /** `127.0.0.1:port`, as component metadata wants it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Live connections (each with its upstream). */
  get connections(): number {
    return this.links.size;
  }

  /** The current state: forwarding (`open`) or cut in one of the two modes. */
  get state(): 'open' | CutMode {
    return this.mode;
  }

  /** Cuts the link: resets every live connection, or stalls every one (and each new one) in place. */
  cut(mode: CutMode): void {
    this.mode = mode;
    for (const link of [...this.links]) {
      if (mode === 'reset') this.drop(link, true);
      else {
        link.client.pause();
        link.upstream.pause();
      }
    }
  }

  /** Forwards again: stalled connections resume with their buffered bytes; new ones go through. */
  restore(): void {
    this.mode = 'open';
    for (const link of this.links) {
      link.client.resume();
      link.upstream.resume();
    }
  }

  /** Destroys every connection and stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    for (const link of [...this.links]) this.drop(link, false);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.closed || this.mode === 'reset') {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
    upstream.pause();
    const link: Link = { client, upstream };
    this.links.add(link);
    this.forward(link, client, upstream);
    this.forward(link, upstream, client);
    // A connection accepted while black-holed stays paused until restore().
    upstream.once('connect', () => {
      if (this.mode === 'open' && this.links.has(link)) {
        client.resume();
        upstream.resume();
      }
    });
  }

  /** Copies `from` to `to` with back-pressure; either side ending or failing ends the link. */
  private forward(link: Link, from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (this.mode === 'open') from.resume();
    });
    from.on('end', () => to.end());
    from.on('error', () => this.drop(link, false));
    from.on('close', () => this.drop(link, false));
  }

  private drop(link: Link, reset: boolean): void {
    if (!this.links.delete(link)) return;
    for (const socket of [link.client, link.upstream]) {
      if (reset && !socket.destroyed && socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
