// The Tealeaf Engine webview's page outside VS Code: dist/webview/engine.js served from 127.0.0.1
// with the panel's own HTML and CSP (src/engineView/html.ts), in headless Chromium, behind the
// same WebviewTransport the extension uses, with Playwright standing in for VS Code's webview
// messaging. For `tealeaf bench --backends`. playwright-core is loaded only here, when asked: it
// is a development dependency, so an installed extension's CLI says it is missing instead.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { engineHtml, makeNonce } from '../engineView/html';
import type { WebviewBackend } from '../host/hostBackend';
import { RemoteEngineHost } from '../host/remoteEngineHost';
import { type EngineWebview, WebviewTransport } from '../host/webviewTransport';

/** Where a Chromium usually is, when CHROMIUM_PATH does not say. */
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

/** The Chromium to run the page in: CHROMIUM_PATH, else the first usual place that exists. */
export function findChromium(): string | undefined {
  const given = process.env['CHROMIUM_PATH'];
  if (given) return given;
  return CHROMIUM_CANDIDATES.find((candidate) => existsSync(candidate));
}

/** Chromium with WebGPU on a software adapter (SwiftShader) where there is no GPU. */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];
const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

const TYPES: Readonly<Record<string, string>> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

export interface EnginePage {
  readonly host: RemoteEngineHost;
  close(): Promise<void>;
}

/** VS Code's acquireVsCodeApi and message event, stood in for by Playwright's exposed function and evaluate. */
const INIT_SCRIPT = `
window.acquireVsCodeApi = () => ({ postMessage: (m) => void window.tealeafPost(m) });
window.tealeafDeliver = (message) => window.dispatchEvent(new MessageEvent('message', { data: message }));
`;

/** Runs in the page: hands a message to the page as VS Code's webview messaging would. */
function deliver(message: unknown): void {
  (globalThis as unknown as { tealeafDeliver(message: unknown): void }).tealeafDeliver(message);
}

export interface EnginePageOptions {
  /** dist/webview of a build: engine.js and onnxruntime-web's files under ort/. */
  readonly webviewDist: string;
  readonly chromiumPath: string;
  readonly args?: readonly string[];
}

export async function openEnginePage(backend: WebviewBackend, options: EnginePageOptions): Promise<EnginePage> {
  const { chromium } = await import('playwright-core');
  const server = await serve(backend, options.webviewDist);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: options.chromiumPath,
      args: [...BASE_ARGS, ...(backend === 'webgpu-webview' ? WEBGPU_ARGS : ['--disable-gpu']), ...(options.args ?? [])],
    });
  } catch (error) {
    server.close();
    throw error;
  }
  const connect = (): WebviewTransport => {
    const receivers: ((message: unknown) => void)[] = [];
    const disposers: (() => void)[] = [];
    let closed = false;
    const opened = (async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
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
        // A function, not a string: Playwright evaluates a string as an expression and never calls it with `message`.
        // A page closing under the message: the transport reports the close itself.
        void opened.then((p) => (closed ? undefined : p.evaluate(deliver, message))).catch(() => undefined);
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
    async close() {
      await host.dispose();
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** /engine.html with the panel's HTML and CSP (the server's origin as cspSource), and dist/webview/. */
function serve(backend: WebviewBackend, webviewDist: string): Promise<Server> {
  let origin = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x').pathname;
    void (async () => {
      if (url === '/engine.html') {
        const html = engineHtml({ cspSource: origin, scriptUri: `${origin}/engine.js`, ortBase: `${origin}/ort/`, backend, nonce: makeNonce() });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      const file = path.normalize(path.join(webviewDist, decodeURIComponent(url)));
      try {
        if (!file.startsWith(webviewDist + path.sep) || !(await stat(file)).isFile()) throw new Error('not served');
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
