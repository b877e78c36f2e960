import type { SecureContextOptions, Server as TlsServer, TlsOptions } from 'node:tls';
import { ReloadableServerCredentials } from '../grpc/reloadable-credentials.js';
import { readTlsFiles } from './tls-files.js';
import type { TlsFileSettings, TlsMaterial } from './tls-files.js';

function contextOf(material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, ...(material.ca ? { ca: material.ca } : {}) };
}

/**
 * The server's TLS identity, shared by HTTPS and gRPC: read from files at start and swapped on
 * `reload()` for connections made from then on. Whether clients must present a certificate is
 * fixed at start by whether `--tls-ca` was given; the CA's content reloads like the rest.
 */
export class ServerTls {
  /** The gRPC server's credentials; they follow every reload. */
  readonly grpcCredentials: ReloadableServerCredentials;
  private current: TlsMaterial;
  private readonly servers = new Set<TlsServer>();
  private readonly mutual: boolean;

  /** Reads the files; throws a ComponentError naming the flag and file at fault. */
  constructor(private readonly files: TlsFileSettings) {
    this.current = readTlsFiles(files);
    this.mutual = files.tlsCa !== undefined;
    this.grpcCredentials = new ReloadableServerCredentials(contextOf(this.current), this.mutual);
  }

  /** SHA-256 fingerprint of the certificate being served. */
  get fingerprint256(): string {
    return this.current.fingerprint256;
  }

  /** True when clients must present a certificate signed by `--tls-ca`. */
  get mutualTls(): boolean {
    return this.mutual;
  }

  /** Options for `https.createServer`. */
  serverOptions(): TlsOptions {
    return { ...contextOf(this.current), requestCert: this.mutual, rejectUnauthorized: this.mutual };
  }

  /** Keeps `server`'s context in step with reloads. */
  follow(server: TlsServer): void {
    this.servers.add(server);
    server.once('close', () => this.servers.delete(server));
  }

  /**
   * Reads the files again and, if they are good, serves them to new connections on every
   * followed server and on gRPC. A bad file throws (naming it) and the old identity stays.
   */
  reload(): { fingerprint256: string; changed: boolean } {
    const next = readTlsFiles(this.files);
    const changed = next.fingerprint256 !== this.current.fingerprint256 || !sameCa(next, this.current);
    this.current = next;
    const context = contextOf(next);
    for (const server of this.servers) server.setSecureContext(context);
    this.grpcCredentials.update(context);
    return { fingerprint256: next.fingerprint256, changed };
  }
}

function sameCa(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.ca === undefined ? b.ca === undefined : b.ca !== undefined && a.ca.equals(b.ca);
}
