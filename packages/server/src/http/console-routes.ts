import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';
import { CONSOLE_HTML } from './console-page.js';

type Query = Record<string, string | undefined>;
type R = { Params: { store: string }; Querystring: Query };

/** The console's script, bundled by `npm run build` (scripts/build-console.mjs); same path from src/ and dist/. */
const CONSOLE_SCRIPT = fileURLToPath(new URL('../../dist/ui/console.js', import.meta.url));

/**
 * The operator console (`/ui`) and the reads it needs beyond the native API: one store's overview
 * scoped to the caller, a lock's queue, and an admin's listing of every app's locks.
 */
export function registerConsoleRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const s = ctx.service;
  app.get<R>('/v1/:store/overview', (r) => s.overview(r.caller, r.params.store));
  app.get<R>('/v1/:store/locks/queue', (r) => s.describeQueue(r.caller, r.params.store, r.query.name));
  app.get<R>('/v1/:store/locks/all', async (r) => ({
    locks: await s.listAllLocks(r.caller, r.params.store, r.query.prefix ?? ''),
  }));

  // The page and its script hold no data; what they show is read with the user's token.
  const open = { config: { public: true } };
  app.get('/ui', open, (_request, reply) => reply.type('text/html; charset=utf-8').send(CONSOLE_HTML));
  app.get('/ui/console.js', open, async (_request, reply) => {
    const script = await readFile(CONSOLE_SCRIPT).catch(() => undefined);
    if (!script) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('the console is not built: run `npm run build`');
    }
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script);
  });
}
