import { ServerCredentials } from '@grpc/grpc-js';
import type { SecureContextOptions } from 'node:tls';

/**
 * TLS credentials whose certificate can be swapped while the server runs. grpc-js watches a
 * credentials object and calls `setSecureContext` on its HTTP/2 server when the object updates,
 * so new connections get the new context and open ones keep theirs. Hand `update` only a context
 * already known to work: grpc-js drops every new connection after a failed swap.
 */
export class ReloadableServerCredentials extends ServerCredentials {
  constructor(context: SecureContextOptions, mutual: boolean) {
    super({ requestCert: mutual, rejectUnauthorized: mutual }, context);
  }

  /** Serves `context` to connections made from now on. */
  update(context: SecureContextOptions): void {
    this.updateSecureContextOptions(context);
  }

  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
