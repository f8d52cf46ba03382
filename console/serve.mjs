// Serves the console's files (console/index.html, style.css and the bundle in dist/) over HTTP
// on 127.0.0.1, and nothing else. Usage: node console/serve.mjs [port]   (default 8080; 0 picks
// a free one). Prints the address it listens on.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };
const port = Number(process.argv[2] ?? 8080);

const server = createServer(async (request, response) => {
  let path;
  try {
    path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
  } catch {
    response.writeHead(400).end('bad path');
    return;
  }
  // Only the page's own files, named exactly: nothing else under (or above) console/.
  const file = join(root, path === '/' ? 'index.html' : path);
  const served = ['index.html', 'style.css', 'dist/app.js', 'dist/app.js.map'].map((f) => join(root, f));
  if (!served.includes(file)) {
    response.writeHead(404).end('not found');
    return;
  }
  try {
    const body = await readFile(file);
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    response.writeHead(404).end(`${path} is not built: run scripts/console.sh`);
  }
});
server.listen(port, '127.0.0.1', () => {
  console.log(`console at http://127.0.0.1:${server.address().port}/`);
});
