// The Tealeaf Engine webview's page outside VS Code: dist/webview/engine.js served from 127.0.0.1
// with the panel's own HTML and CSP (src/engineView/html.ts), in headless Chromium, behind the
// same WebviewTransport the extension uses, with Playwright standing in for VS Code's webview
// messaging. For the tests of the webview host and `tealeaf bench --backends`.
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { engineHtml, makeNonce } from '../../src/engineView/html';
import type { WebviewBackend } from '../../src/host/hostBackend';
import { RemoteEngineHost } from '../../src/host/remoteEngineHost';
import { type EngineWebview, WebviewTransport } from '../../src/host/webviewTransport';

const ROOT = path.resolve(__dirname, '..', '..');
const WEBVIEW_DIST = path.join(ROOT, 'dist', 'webview');

/** Chromium with WebGPU on a software adapter (SwiftShader) where there is no GPU. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

const TYPES: Readonly<Record<string, string>> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

export interface EnginePage {
  readonly host: RemoteEngineHost;
  /** Every console line and page error of the pages opened so far. */
  readonly console: readonly string[];
  /** The pages' requests, by path (the CSP keeps them to the server's origin). */
  readonly requests: readonly string[];
  /** The page now open, if any (closing it is what a user closing the panel does). */
  page(): Page | undefined;
  close(): Promise<void>;
}

/** VS Code's acquireVsCodeApi and message event, stood in for by Playwright's exposed function and evaluate. */
const INIT_SCRIPT = `
window.acquireVsCodeApi = () => ({ postMessage: (m) => void window.tealeafPost(m) });
window.tealeafDeliver = (message) => window.dispatchEvent(new MessageEvent('message', { data: message }));
`;


export async function openEnginePage(backend: WebviewBackend, options: { readonly chromiumPath?: string; readonly args?: readonly string[] } = {}): Promise<EnginePage> {
  const requests: string[] = [];
  const lines: string[] = [];
  const server = await serve(backend, requests);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await chromium.launch({
    executablePath: options.chromiumPath ?? process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: [...BASE_ARGS, ...(backend === 'webgpu-webview' ? WEBGPU_ARGS : ['--disable-gpu']), ...(options.args ?? [])],
  });
  let current: Page | undefined;
  const connect = (): WebviewTransport => {
    const receivers: ((message: unknown) => void)[] = [];
    const disposers: (() => void)[] = [];
    let page: Page | undefined;
    let closed = false;
    const opened = (async () => {
      const context = await browser.newContext();
      page = await context.newPage();
      current = page;
      page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
      page.on('close', () => {
        closed = true;
        for (const d of disposers) d();
      });
      await page.exposeFunction('tealeafPost', (message: unknown) => {
        for (const r of receivers) r(message);
      });
      // A string, not a function: tsx would put its helpers (__name) into a function's source.
      await page.addInitScript(INIT_SCRIPT);
      await page.goto(`${origin}/engine.html`);
      return page;
    })();
    const view: EngineWebview = {
      postMessage: (message) => {
        void opened.then((p) => (closed ? undefined : p.evaluate('(m) => window.tealeafDeliver(m)', message))).catch((error: unknown) => lines.push(`[host] post failed: ${String(error)}`));
      },
      onDidReceiveMessage: (listener) => receivers.push(listener),
      onDidDispose: (listener) => disposers.push(listener),
      dispose: () => {
        void opened.then((p) => p.context().close());
      },
    };
    return new WebviewTransport(view, { backend, platform: process.platform });
  };
  const host = new RemoteEngineHost({ backend, connect });
  return {
    host,
    console: lines,
    requests,
    page: () => current,
    async close() {
      await host.dispose();
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** /engine.html with the panel's HTML and CSP (the server's origin as cspSource), and dist/webview/. */
function serve(backend: WebviewBackend, requests: string[]): Promise<Server> {
  let origin = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(url);
    void (async () => {
      if (url === '/engine.html') {
        const html = engineHtml({ cspSource: origin, scriptUri: `${origin}/engine.js`, ortBase: `${origin}/ort/`, backend, nonce: makeNonce() });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      const file = path.normalize(path.join(WEBVIEW_DIST, decodeURIComponent(url)));
      try {
        if (!file.startsWith(WEBVIEW_DIST + path.sep) || !(await stat(file)).isFile()) throw new Error('not served');
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(server);
    }),
  );
}
