// Bundles the operator console (console/main.ts and eventsource-parser) into dist/ui/console.js,
// which the server serves at /ui/console.js. Run by `npm run build`; the output is never committed.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  absWorkingDir: root,
  entryPoints: ['console/main.ts'],
  outfile: 'dist/ui/console.js',
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
