import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { CONSOLE_HTML } from './console-page.js';

/** The console's script, bundled by `npm run build` (scripts/build-console.mjs); same path from src/ and dist/. */
const CONSOLE_SCRIPT = fileURLToPath(new URL('../../dist/ui/console.js', import.meta.url));

/**
 * The operator console (`/ui`): its page and script. The reads it needs beyond the lease and lock
 * ops (a store's overview, a lock's queue, every app's locks) are ops of the table (native-routes.ts).
 */
export function registerConsoleRoutes(app: FastifyInstance): void {
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
