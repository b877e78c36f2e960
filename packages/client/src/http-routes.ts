import type { Op } from './transport.js';

/** One HTTP request of the native API (DESIGN §4.3). */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: Record<string, unknown>;
  /** Unwraps the reply, e.g. `{locks: [...]}` → `[...]`. */
  readonly unwrap?: (reply: unknown) => unknown;
}

const enc = encodeURIComponent;

function query(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === 'string' || typeof value === 'number') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

function field(reply: unknown, name: string): unknown {
  return (reply as Record<string, unknown> | null)?.[name];
}

/** Maps an operation and its arguments onto the native HTTP API. */
export function routeFor(op: Op, store: string, args: Record<string, unknown>): Route {
  const base = `/v1/${enc(store)}`;
  const lease = `${base}/leases/${enc(String(args.leaseId))}`;
  switch (op) {
    case 'grantLease':
      return { method: 'POST', path: `${base}/leases`, body: args };
    case 'keepAlive':
      return { method: 'POST', path: `${lease}/keepalive` };
    case 'revokeLease':
      return { method: 'DELETE', path: lease };
    case 'getLease':
      return { method: 'GET', path: lease };
    case 'listLeases':
      return { method: 'GET', path: `${base}/leases`, unwrap: (r) => field(r, 'leases') };
    case 'acquire':
      return { method: 'POST', path: `${base}/locks/acquire`, body: args };
    case 'release':
      return { method: 'POST', path: `${base}/locks/release`, body: args };
    case 'describeLock':
      return { method: 'GET', path: `${base}/locks${query({ name: args.name })}` };
    case 'listLocks':
      return {
        method: 'GET',
        path: `${base}/locks${query({ prefix: args.prefix ?? '' })}`,
        unwrap: (r) => field(r, 'locks'),
      };
    case 'checkLock':
      return { method: 'GET', path: `${base}/locks/check${query({ name: args.name, token: args.token })}` };
    case 'put':
      return { method: 'PUT', path: `${base}/kv`, body: args };
    case 'get':
      return { method: 'GET', path: `${base}/kv${query({ key: args.key })}` };
    case 'listKeys': {
      const { prefix, limit, after } = args;
      return { method: 'GET', path: `${base}/kv${query({ prefix: prefix ?? '', limit, after })}` };
    }
    case 'delete':
      return { method: 'DELETE', path: `${base}/kv${query({ key: args.key })}` };
    case 'counterAdd':
      return { method: 'POST', path: `${base}/counters/add`, body: args };
    case 'counterGet':
      return { method: 'GET', path: `${base}/counters${query({ name: args.name })}` };
    case 'counterSet':
      return { method: 'PUT', path: `${base}/counters`, body: args };
  }
}
