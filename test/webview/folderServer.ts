// A local HTTP server for pages that load a model folder the way a webview is served one:
// `/pages/NAME.html` is a module page that runs `/pages/NAME.js`, and each folder is served under
// its URL prefix, files only, with sizes on HEAD. Nothing outside the folders is served. Used by
// the WebGPU tests and the side-by-side bench's pages.
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';

const TYPES: Readonly<Record<string, string>> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** `folders`: [URL prefix ending in '/', folder on disk]; `/pages/` must be one of them. Listens on 127.0.0.1. */
export function serveFolders(folders: readonly (readonly [string, string])[]): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x').pathname;
      const page = /^\/pages\/([\w-]+)\.html$/.exec(url);
      if (page) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><meta charset="utf-8"><script type="module" src="/pages/${page[1]}.js"></script>`);
        return;
      }
      const match = folders.find(([prefix]) => url.startsWith(prefix));
      const file = match ? path.join(match[1], decodeURIComponent(url.slice(match[0].length))) : undefined;
      if (!match || !file || !file.startsWith(match[1] + path.sep)) {
        res.writeHead(404).end();
        return;
      }
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a file');
        const headers = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': String(info.size) };
        if (req.method === 'HEAD') res.writeHead(200, headers).end();
        else res.writeHead(200, headers).end(await readFile(file));
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
