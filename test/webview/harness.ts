// Headless Chromium harness for the inspector webview: serves the built page with the real HTML
// and CSP (src/inspector/html.ts), stands in for VS Code's webview API, and answers block requests
// from a real InspectorSession. Reused by the bench (first paint) and the webview tests.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inspectorHtml, makeNonce } from '../../src/inspector/html';
import type { InspectorSession } from '../../src/inspector/session';
import { isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../src/protocol/inspector';

// The repository root (tsx may load this file from an ESM caller without a usable __dirname).
const ROOT = existsSync(join(__dirname, '..', '..', 'package.json')) ? join(__dirname, '..', '..') : process.cwd();

/** Debian's Chromium headless: no sandbox (root), no GPU, nothing reaching out to the network. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'];

export function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

export interface StaticServer {
  readonly origin: string;
  /** Requests per path (the CSP test checks that a blocked fetch never arrived). */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.html': 'text/html' };

/** Serves /inspector.html (built with the real CSP) and dist/webview/*; anything else is a counted 404. */
export async function startServer(): Promise<StaticServer> {
  const hits = new Map<string, number>();
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    void (async () => {
      if (path === '/inspector.html') {
        const html = inspectorHtml({
          cspSource: origin,
          scriptUri: `${origin}/dist/webview/inspector.js`,
          styleUri: `${origin}/dist/webview/inspector.css`,
          nonce: makeNonce(),
        });
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      const file = normalize(join(ROOT, path));
      if (path.startsWith('/dist/webview/') && file.startsWith(join(ROOT, 'dist', 'webview'))) {
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
          return;
        } catch {
          // fall through to 404
        }
      }
      res.writeHead(404, { 'access-control-allow-origin': '*' }).end('not found');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Page-side stand-ins, installed before any page script runs. */
const INIT_SCRIPT = `(() => {
  const tl = { posted: [], texts: [], violations: [], state: undefined };
  window.__tealeaf = tl;
  tl.deliver = (m) => window.postMessage(m, '*');
  // Messages arrive as VS Code sends them to a webview: JSON, with typed arrays carried as bytes.
  // (A walk after a plain parse: a JSON.parse reviver costs ten times the parse.)
  const revive = (v) => {
    if (!v || typeof v !== 'object') return v;
    if (typeof v.__typedArray === 'string') {
      const text = atob(v.base64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      return new globalThis[v.__typedArray](bytes.buffer);
    }
    for (const k of Object.keys(v)) v[k] = revive(v[k]);
    return v;
  };
  tl.deliverJson = (json) => window.postMessage(revive(JSON.parse(json)), '*');
  window.acquireVsCodeApi = () => ({
    postMessage(m) { tl.posted.push(m); window.__tealeafPost(m); },
    getState() { return tl.state; },
    setState(s) { tl.state = s; },
  });
  // Record the text each view's canvas draws: the tests check the token labels.
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y, w) {
    const view = this.canvas && this.canvas.dataset ? this.canvas.dataset.view : undefined;
    if (view) { tl.texts.push(view + '\\u0000' + String(text)); if (tl.texts.length > 50000) tl.texts.splice(0, 10000); }
    return w === undefined ? fillText.call(this, text, x, y) : fillText.call(this, text, x, y, w);
  };
  document.addEventListener('securitypolicyviolation', (e) => tl.violations.push({ directive: e.violatedDirective, blocked: e.blockedURI }));
  // VS Code's theme variables and body class (dark+ by default; tests switch them).
  tl.theme = (kind, vars) => {
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    document.body.className = kind;
  };
})();`;

export const DARK_THEME: Record<string, string> = {
  '--vscode-editor-background': '#1e1e1e',
  '--vscode-editor-foreground': '#d4d4d4',
  '--vscode-foreground': '#cccccc',
  '--vscode-charts-orange': '#d18616',
  '--vscode-focusBorder': '#007fd4',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-font-family': 'sans-serif',
  '--vscode-editor-font-family': 'monospace',
};

export const HIGH_CONTRAST_THEME: Record<string, string> = {
  '--vscode-editor-background': '#000000',
  '--vscode-editor-foreground': '#ffffff',
  '--vscode-foreground': '#ffffff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-focusBorder': '#f38518',
  '--vscode-contrastBorder': '#6fc3df',
};

export interface Violation {
  readonly directive: string;
  readonly blocked: string;
}

/**
 * JSON.stringify replacer: typed arrays travel as base64 bytes (VS Code likewise moves a webview
 * message's array buffers beside its JSON rather than as arrays of numbers).
 */
function typedArraysAsBytes(_key: string, value: unknown): unknown {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) return value;
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return { __typedArray: value.constructor.name, base64: bytes.toString('base64') };
}

/** What the harness's page globals look like, for typed page.evaluate callbacks. */
interface PageGlobals {
  __tealeaf: {
    posted: WebviewToHost[];
    texts: string[];
    violations: Violation[];
    deliver(m: HostToWebview): void;
    deliverJson(json: string): void;
    theme(kind: string, vars: Record<string, string>): void;
  };
}

export interface InspectorPage {
  readonly page: Page;
  /** Messages the page posted to the "extension host", in order. */
  readonly posted: WebviewToHost[];
  deliver(message: HostToWebview): Promise<void>;
  /**
   * Posts a session's document and answers its block requests (like src/inspector/panel.ts);
   * resolves at its first paint, after which the head statistics are computed and follow.
   */
  show(session: InspectorSession): Promise<void>;
  /** Resolves when the session's statistics were delivered to the page. */
  statsDelivered(session: InspectorSession): Promise<void>;
  waitForMessage<T extends WebviewToHost['type']>(type: T, predicate?: (m: Extract<WebviewToHost, { type: T }>) => boolean, timeoutMs?: number): Promise<Extract<WebviewToHost, { type: T }>>;
  /** Texts drawn on canvases of a view since the last clear. */
  texts(view: string): Promise<string[]>;
  clearTexts(): Promise<void>;
  violations(): Promise<Violation[]>;
  theme(kind: string, vars: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export async function openInspector(browser: Browser, server: StaticServer, size = { width: 1000, height: 760 }): Promise<InspectorPage> {
  const page = await browser.newPage({ viewport: size });
  const posted: WebviewToHost[] = [];
  const waiters: { test: (m: WebviewToHost) => boolean; resolve: (m: WebviewToHost) => void }[] = [];
  let session: InspectorSession | undefined;
  const statsSent = new WeakMap<InspectorSession, Promise<void>>();
  const deliver = (message: HostToWebview): Promise<void> =>
    page.evaluate((json) => (globalThis as unknown as PageGlobals).__tealeaf.deliverJson(json), JSON.stringify(message, typedArraysAsBytes));
  await page.exposeFunction('__tealeafPost', (m: unknown) => {
    if (!isWebviewToHost(m)) throw new Error(`the page posted an invalid message: ${JSON.stringify(m)}`);
    posted.push(m);
    for (const w of waiters.splice(0)) {
      if (w.test(m)) w.resolve(m);
      else waiters.push(w);
    }
    if (m.type === 'requestBlock' && session && m.docId === session.docId) {
      const s = session;
      void s
        .section(m.sectionId)
        .quantized(m.scope)
        .then(
          (matrices) => deliver({ type: 'block', requestId: m.requestId, docId: m.docId, sectionId: m.sectionId, scope: m.scope, matrices }),
          (error: unknown) => deliver({ type: 'blockError', requestId: m.requestId, docId: m.docId, message: String(error) }),
        )
        .catch(() => undefined); // page closed
    }
  });
  await page.addInitScript(INIT_SCRIPT);
  const waitForMessage = <T extends WebviewToHost['type']>(type: T, predicate?: (m: Extract<WebviewToHost, { type: T }>) => boolean, timeoutMs = 10_000): Promise<Extract<WebviewToHost, { type: T }>> => {
    const test = (m: WebviewToHost): boolean => m.type === type && (!predicate || predicate(m as Extract<WebviewToHost, { type: T }>));
    const seen = posted.find(test);
    if (seen) return Promise.resolve(seen as Extract<WebviewToHost, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<WebviewToHost, { type: T }>);
        },
      });
    });
  };
  await page.goto(`${server.origin}/inspector.html`);
  await waitForMessage('ready', undefined, 30_000);
  await page.evaluate((vars) => (globalThis as unknown as PageGlobals).__tealeaf.theme('vscode-dark', vars), DARK_THEME);
  return {
    page,
    posted,
    deliver,
    show: async (s) => {
      session = s;
      await deliver({ type: 'document', doc: s.document });
      // as the panel does: statistics once the first frame is on screen
      await waitForMessage('firstPaint', (m) => m.docId === s.docId, 30_000);
      const sent = s.allSections()
        .filter((section) => section.summary.statsPending)
        .map(async (section) => {
          const stats = await section.stats();
          if (session === s) await deliver({ type: 'stats', docId: s.docId, sectionId: section.summary.id, stats });
        });
      statsSent.set(s, Promise.all(sent).then(() => undefined));
      statsSent.get(s)!.catch(() => undefined); // page closed
    },
    statsDelivered: (s) => statsSent.get(s) ?? Promise.resolve(),
    waitForMessage,
    texts: async (view) => (await page.evaluate(() => (globalThis as unknown as PageGlobals).__tealeaf.texts)).filter((t) => t.startsWith(`${view}\u0000`)).map((t) => t.slice(view.length + 1)),
    clearTexts: () => page.evaluate(() => void (globalThis as unknown as PageGlobals).__tealeaf.texts.splice(0)),
    violations: () => page.evaluate(() => (globalThis as unknown as PageGlobals).__tealeaf.violations),
    theme: (kind, vars) => page.evaluate(([k, v]) => (globalThis as unknown as PageGlobals).__tealeaf.theme(k, v), [kind, vars] as const),
    close: () => page.close(),
  };
}

/** Counts pixels of a canvas that differ from its top-left pixel's colour (the background). */
export async function paintedPixels(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (node) => {
    const canvas = node as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
    const ctx = canvas.getContext('2d');
    if (!ctx || canvas.width === 0 || canvas.height === 0) return 0;
    const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) n++;
    return n;
  });
}
