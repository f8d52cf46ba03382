// Bundles the console (console/src/app.ts and everything it imports) into console/dist/app.js
// for the browser, with nothing left to fetch from a CDN at run time: the page works offline.
// The descriptors it imports are generated first (scripts/descriptors.sh).

import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const result = await build({
  entryPoints: [join(here, 'src/app.ts')],
  outfile: join(here, 'dist/app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`console/dist/app.js: ${(bytes / 1024 / 1024).toFixed(1)} MiB with its source map`);
