// Headless Chromium with WebGPU for the engine's WebGPU tests: bundles engineWebgpuPage.ts with
// esbuild at test time (as the bench bundles its pages), serves it with onnxruntime-web's files and
// the fixture model folders from 127.0.0.1, and counts live GPUBuffers from before onnxruntime starts.
// WebGPU here is SwiftShader (Chromium's CPU Vulkan): --enable-unsafe-webgpu turns WebGPU on for
// Linux, --use-webgpu-adapter=swiftshader picks the software adapter on a machine without a GPU.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { WEBGPU_ARGS } from '../../src/cli/enginePage';
import { serveFolders } from './folderServer';
import { launchBrowser } from './harness';
import type { WebgpuTestPage } from './engineWebgpuApi';

const ROOT = path.resolve(__dirname, '..', '..');

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
  const server = await serveFolders(folders);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await launchBrowser(WEBGPU_ARGS);
  const errors: string[] = [];
  let page: Page;
  try {
    page = await browser.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.addInitScript(COUNT_BUFFERS);
    await page.goto(`${origin}/pages/page.html`);
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
