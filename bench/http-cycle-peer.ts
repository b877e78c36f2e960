/**
 * The trivial node:http Map lock server that http-cycle.ts compares Leasehold with: the ceiling for
 * any Node HTTP lock server on this machine. `POST /acquire` and `POST /release`, body `{name, owner}`.
 * Run as a child process: `node bench/http-cycle-peer.ts <port>` (through tsx).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

const holders = new Map<string, string>();

function reply(response: ServerResponse, status: number, value?: unknown): void {
  const text = value === undefined ? '' : JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function handle(request: IncomingMessage, response: ServerResponse, body: string): void {
  let input: { name: string; owner: string };
  try {
    input = JSON.parse(body) as { name: string; owner: string };
  } catch {
    return reply(response, 400);
  }
  if (request.url === '/acquire') {
    const free = !holders.has(input.name);
    if (free) holders.set(input.name, input.owner);
    return reply(response, 200, { acquired: free });
  }
  if (request.url === '/release') {
    const mine = holders.get(input.name) === input.owner;
    if (mine) holders.delete(input.name);
    return reply(response, 200, { released: mine });
  }
  reply(response, 404);
}

const server = createServer((request, response) => {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => (body += chunk));
  request.on('end', () => handle(request, response, body));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
