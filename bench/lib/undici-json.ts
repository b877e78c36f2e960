import { Pool } from 'undici';

/** A keep-alive connection pool of `connections` sockets, as a tuned Node HTTP client would use. */
export function jsonPool(url: string, connections: number): Pool {
  return new Pool(url, { connections, pipelining: 1 });
}

/** Sends JSON with `method` and returns the status and the parsed reply. */
export async function sendJson(
  pool: Pool,
  method: 'POST' | 'GET' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await pool.request({
    method,
    path,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text === '' ? undefined : JSON.parse(text) };
}
