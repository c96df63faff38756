// Headless Chromium with WebGPU for the engine's WebGPU tests: bundles engineWebgpuPage.ts with
// esbuild at test time (as the bench bundles its pages), serves it with onnxruntime-web's files and
// the fixture model folders from 127.0.0.1, and counts live GPUBuffers from before onnxruntime starts.
// WebGPU here is SwiftShader (Chromium's CPU Vulkan): --enable-unsafe-webgpu turns WebGPU on for
// Linux, --use-webgpu-adapter=swiftshader picks the software adapter on a machine without a GPU.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './harness';
import type { WebgpuTestPage } from './engineWebgpuApi';

const ROOT = path.resolve(__dirname, '..', '..');

export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

/**
 * Wraps GPUDevice.createBuffer and GPUBuffer.destroy before any page script runs: every buffer
 * onnxruntime (or the engine) creates is counted, and every one destroyed.
 */
const COUNT_BUFFERS = `(() => {
  const counts = { created: 0, destroyed: 0 };
  globalThis.__gpuBuffers = counts;
  if (typeof GPUDevice === 'undefined') return;
  const create = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor) {
    const buffer = create.call(this, descriptor);
    counts.created++;
    let destroyed = false;
    const destroy = buffer.destroy;
    buffer.destroy = function () {
      if (!destroyed) { destroyed = true; counts.destroyed++; }
      return destroy.call(this);
    };
    return buffer;
  };
})();`;

const TYPES: Readonly<Record<string, string>> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

export interface WebgpuPage {
  /** Calls one function of the page's API with JSON arguments. */
  call<K extends keyof WebgpuTestPage>(name: K, ...args: Parameters<WebgpuTestPage[K]>): Promise<Awaited<ReturnType<WebgpuTestPage[K]>>>;
  readonly errors: readonly string[];
  close(): Promise<void>;
}

export async function openWebgpuPage(): Promise<WebgpuPage> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-webgpu-page-'));
  await build({
    entryPoints: { page: path.join(__dirname, 'engineWebgpuPage.ts') },
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    logLevel: 'error',
  });
  const folders: readonly (readonly [string, string])[] = [
    ['/pages/', out],
    ['/ort/', path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist')],
    ['/models/', path.join(ROOT, 'test', 'fixtures', 'models')],
  ];
  const server = await serve(folders);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await launchBrowser(WEBGPU_ARGS);
  const errors: string[] = [];
  let page: Page;
  try {
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.addInitScript(COUNT_BUFFERS);
    await page.goto(`${origin}/page.html`);
    await page.waitForFunction(() => (globalThis as { webgpuTest?: unknown }).webgpuTest !== undefined, undefined, { timeout: 60_000 });
  } catch (error) {
    await browser.close();
    server.close();
    throw new Error(`the WebGPU test page did not start: ${(error as Error).message} ${errors.join('; ')}`);
  }
  return {
    errors,
    call: (name, ...args) =>
      page.evaluate(
        ([n, a]) => {
          const api = (globalThis as unknown as { webgpuTest: Record<string, (...x: unknown[]) => Promise<unknown>> }).webgpuTest;
          return (api[n] as (...x: unknown[]) => Promise<unknown>)(...a);
        },
        [name, args] as [string, unknown[]],
      ) as never,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(out, { recursive: true, force: true });
    },
  };
}

function serve(folders: readonly (readonly [string, string])[]): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x').pathname;
      if (url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><meta charset="utf-8"><script type="module" src="/pages/page.js"></script>');
        return;
      }
      const match = folders.find(([prefix]) => url.startsWith(prefix));
      const file = match ? path.join(match[1], decodeURIComponent(url.slice(match[0].length))) : undefined;
      if (!match || !file || !file.startsWith(match[1] + path.sep)) {
        res.writeHead(404).end(); // nothing outside the folders served
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
