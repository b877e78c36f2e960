/**
 * How the client trusts an `https://` server and, for mutual TLS, proves who it is. PEM text or
 * bytes; without `ca` the system's trusted roots (and `NODE_EXTRA_CA_CERTS`) apply.
 */
export interface ClientTlsOptions {
  /** CA certificate(s) that signed the server's certificate. */
  readonly ca?: string | Buffer | undefined;
  /** Client certificate, when the server requires one (its `--tls-ca`). */
  readonly cert?: string | Buffer | undefined;
  /** Private key of `cert`. */
  readonly key?: string | Buffer | undefined;
}

/** The options given, without the unset ones (for `https.Agent` and `ws`). */
export function tlsConnectOptions(tls: ClientTlsOptions): ClientTlsOptions {
  return Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== undefined));
}

/** True when any TLS option is set. */
export function hasTlsOptions(tls: ClientTlsOptions): boolean {
  return tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined;
}
