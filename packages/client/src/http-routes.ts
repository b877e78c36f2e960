import { specOf } from '@leasehold/core/ops';
import type { OpSpec } from '@leasehold/core/ops';
import type { Op } from './transport.js';

/** One HTTP request of the native API (DESIGN §4.3). */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: Record<string, unknown>;
  /** Unwraps the reply, e.g. `{locks: [...]}` → `[...]`. */
  readonly unwrap?: (reply: unknown) => unknown;
}

const PARAM = /:(\w+)/g;

/** The query string of an op's declared arguments, in table order; an absent one takes its default. */
function query(spec: OpSpec, args: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const name of spec.fields) {
    const value = args[name] ?? spec.defaults?.[name];
    if (typeof value === 'string' || typeof value === 'number') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** Maps an operation and its arguments onto the native HTTP API, as core's op table says. */
export function routeFor(op: Op, store: string, args: Record<string, unknown>): Route {
  const spec = specOf(op);
  let path = spec.path.replace(PARAM, (_match, name: string) =>
    encodeURIComponent(name === 'store' ? store : String(args[name])),
  );
  if (spec.args === 'query') path += query(spec, args);
  const wrap = spec.wrap;
  return {
    method: spec.method,
    path,
    ...(spec.args === 'body' ? { body: args } : {}),
    ...(wrap === undefined
      ? {}
      : { unwrap: (reply: unknown) => (reply as Record<string, unknown> | null)?.[wrap] }),
  };
}
