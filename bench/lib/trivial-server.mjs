/**
 * The ceiling for any Node HTTP lock server on this machine: node:http and a Map, nothing else.
 * `POST /acquire {name, owner}` → `{acquired}`; `POST /release {name, owner}` → `{released}`.
 * Run as a child process: `node bench/lib/trivial-server.mjs <port>`. Plain JavaScript, so it runs
 * untransformed, as the compiled Leasehold server it is compared with does.
 */
import { Buffer } from 'node:buffer';
import console from 'node:console';
import { createServer } from 'node:http';
import process from 'node:process';

/** @type {Map<string, string>} */
const holders = new Map();

/**
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {string} body
 */
function answer(request, response, body) {
  let reply;
  try {
    const { name, owner } = JSON.parse(body);
    if (request.url === '/acquire') {
      const free = !holders.has(name);
      if (free) holders.set(name, owner);
      reply = { acquired: free };
    } else if (request.url === '/release') {
      const mine = holders.get(name) === owner;
      if (mine) holders.delete(name);
      reply = { released: mine };
    } else {
      response.writeHead(404).end();
      return;
    }
  } catch {
    response.writeHead(400).end();
    return;
  }
  const text = JSON.stringify(reply);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

const server = createServer((request, response) => {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => answer(request, response, body));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
