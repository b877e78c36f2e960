import { connect } from 'node:tls';

/**
 * The SHA-256 fingerprint of the certificate a fresh TLS connection to `port` is served, as
 * `X509Certificate#fingerprint256` spells it. `h2` is offered so gRPC's HTTP/2 port answers too.
 */
export function peerFingerprint(
  port: number,
  ca: string,
  client?: { cert: string; key: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca,
      ALPNProtocols: ['h2', 'http/1.1'],
      ...(client ?? {}),
    });
    socket.once('secureConnect', () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}
