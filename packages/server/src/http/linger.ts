import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/*
 * A server that answers early and closes while the client is still sending makes its kernel reset
 * the connection (unread bytes on close send an RST), and the reset can reach the client before
 * its answer: the client sees ECONNRESET instead of its 4xx. So, as nginx does (discarding the
 * body on a keep-alive connection, else a lingering close), the rest of a refused request is read
 * and thrown away before the connection is given up, but only so far:
 *
 * - 16 MiB: 16 times the largest body we accept (1 MiB of KV), so a client that overshot by a lot,
 *   an upload of a few MB by mistake, still reads its answer; the bytes are counted, not kept.
 * - 10 s: at 16 MiB that still allows ~13 Mbit/s, and it stops a client that trickles a body (or
 *   sends a chunked one forever) from holding a socket; nginx's lingering_time is 30 s.
 *
 * Past either bound the connection is cut: a client that far out of bounds may see its reset.
 */
export const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
export const DISCARD_MAX_MS = 10_000;

/** Bounds of the discard, lowered only by tests. */
export interface DiscardBounds {
  readonly maxBytes: number;
  readonly maxMs: number;
}

const BOUNDS: DiscardBounds = { maxBytes: DISCARD_MAX_BYTES, maxMs: DISCARD_MAX_MS };

/**
 * Reads and discards what is left of a request body; true once it has all arrived, false when a
 * bound was hit or the client went away (then the connection must close).
 */
export function discardRequestBody(request: IncomingMessage, bounds = BOUNDS): Promise<boolean> {
  if (request.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let discarded = 0;
    const finish = (drained: boolean) => {
      clearTimeout(timer);
      request.off('data', onData).off('end', onEnd).off('close', onGone).off('error', onGone);
      resolve(drained);
    };
    const onData = (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > bounds.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onGone = () => finish(request.complete);
    const timer = setTimeout(() => finish(false), bounds.maxMs);
    timer.unref();
    request.on('data', onData).once('end', onEnd).once('close', onGone).once('error', onGone);
    request.resume();
  });
}

const answered = new WeakSet<Socket>();

/**
 * Answers a request Node's HTTP parser refused (bad framing, e.g. both Content-Length and
 * Transfer-Encoding) with 400 INVALID_ARGUMENT, then closes lingering: our side ends, and what
 * the client still sends is read and discarded within the bounds, so its answer is not reset.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket, bounds = BOUNDS): void {
  if (socket.destroyed || error.code === 'ECONNRESET') return;
  // The parser stays in its error state and reports every later chunk again.
  if (answered.has(socket)) return;
  answered.add(socket);
  const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = timeout ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const body = JSON.stringify({
    errorCode: timeout ? 'UNAVAILABLE' : 'INVALID_ARGUMENT',
    message: timeout
      ? 'request: not received in time'
      : `request: not valid HTTP/1.1 (${error.code ?? 'parse error'})`,
  });
  const reason =
    status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  let discarded = 0;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, bounds.maxMs);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > bounds.maxBytes) cut();
  });
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', cut);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.resume();
}
