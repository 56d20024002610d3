#!/usr/bin/env node
// Serves the demo on 127.0.0.1: the page under /demo/ and the library bundle under /dist/ (the same
// dist/simdnet.js Node imports). Cross-origin isolation headers (COOP same-origin, COEP require-corp) make
// SharedArrayBuffer available, which threaded kernels need. Builds the MNIST subset first when missing.
//
// `npm start` runs the library build, then this. PORT picks the port (default 8080); when it is taken a
// free one is used instead. Tests import startServer() and pass port 0.
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import { makeSubset } from './make-mnist-subset.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVED_PREFIXES = ['/demo/', '/dist/', '/bench/']; // /bench/: the benchmark page and its peers (bench/node_modules)

function isolationHeaders(res) {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function listen(server, port, host) {
  return new Promise((resolveListen, reject) => {
    const onError = (err) => { server.off('listening', onListening); reject(err); };
    const onListening = () => { server.off('error', onError); resolveListen(server.address().port); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts the demo server. Resolves to { url, port, close() }; `url` is the demo page.
 * port 0 asks the OS for a free port; a taken port falls back to a free one.
 */
export async function startServer({ port = 8080, host = '127.0.0.1', log = () => {} } = {}) {
  const subset = makeSubset({ train: 10000, test: 1000, out: join(root, 'demo/data/mnist-subset.bin') });
  if (!subset.skipped) log(`built ${subset.out} (${subset.bytes} bytes)`);
  if (!existsSync(join(root, 'dist/simdnet.js'))) {
    log('warning: dist/simdnet.js is missing; run `npm run build` (npm start does) or the page cannot load the library');
  }

  // dev mode: files are read per request (no scan of the tree at start, and a rebuilt bundle is served at once).
  const files = sirv(root, { dev: true, etag: true, gzip: true, dotfiles: false, setHeaders: isolationHeaders });
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '/demo') {
      res.writeHead(302, { Location: '/demo/' });
      res.end();
      return;
    }
    if (!SERVED_PREFIXES.some((p) => path.startsWith(p))) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end(`not found: only ${SERVED_PREFIXES.join(', ')} are served\n`);
      return;
    }
    isolationHeaders(res);
    files(req, res, () => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end(`not found: ${path}\n`);
    });
  });

  let actual;
  try {
    actual = await listen(server, port, host);
  } catch (err) {
    if (err.code !== 'EADDRINUSE' || port === 0) throw err;
    log(`port ${port} is taken; using a free one`);
    actual = await listen(server, 0, host);
  }
  const url = `http://${host}:${actual}/demo/`;
  return {
    url,
    port: actual,
    close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = process.env.PORT ? Number(process.env.PORT) : 8080;
  const { url } = await startServer({ port, log: (m) => console.log(`serve: ${m}`) });
  console.log(`simdnet demo: ${url}`);
}
