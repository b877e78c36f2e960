import { request } from 'node:http';
import type { Agent, OutgoingHttpHeaders } from 'node:http';

/** What a raw request ended with: the status and body, or the socket error code (ECONNRESET, EPIPE). */
export type RawOutcome =
  { readonly status: number; readonly body: string } | { readonly error: string; readonly message: string };

/**
 * Sends `body` over node:http in 64 KiB writes, as a client uploading a file does, so the server
 * can answer while the client is still sending. Never rejects: errors are outcomes.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: OutgoingHttpHeaders;
    body?: Buffer;
    /** Send the body chunked, with no content-length: the server only learns its size by reading. */
    chunked?: boolean;
    agent?: Agent;
    /** Settle once the headers are in and drop the connection (a watch stream never ends). */
    untilHeaders?: boolean;
  },
): Promise<RawOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: RawOutcome) => {
      if (!settled) resolve(outcome);
      settled = true;
    };
    const req = request(
      url,
      {
        method: options.method ?? 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.body && !options.chunked ? { 'content-length': options.body.length } : {}),
          ...options.headers,
        },
        ...(options.agent ? { agent: options.agent } : {}),
      },
      (res) => {
        if (options.untilHeaders && res.statusCode === 200) {
          settle({ status: 200, body: '' });
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => settle({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (error: NodeJS.ErrnoException) =>
          settle({ error: error.code ?? 'ERROR', message: error.message }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      settle({ error: error.code ?? 'ERROR', message: error.message }),
    );
    const body = options.body ?? Buffer.alloc(0);
    let at = 0;
    const pump = () => {
      while (at < body.length) {
        const chunk = body.subarray(at, at + 65_536);
        at += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}
