// The systems that run in headless Chromium, as in a VS Code webview (onnxruntime-web WASM, one
// thread: webviews are not cross-origin isolated): each page is bundled here with esbuild, served
// with the model folders and each system's own onnxruntime-web files from 127.0.0.1, and driven
// with playwright-core; a fresh page per system and round.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { serveFolders } from '../../test/webview/folderServer';
import { launchBrowser } from '../../test/webview/harness';
import type { BenchPage } from './browser/pageApi';
import type { BrowserSystem, DecodeJob, DecodeRun } from './types';

type PageGlobal = { bench?: BenchPage };

const ROOT = path.resolve(__dirname, '..', '..');

const PAGES: Readonly<Record<BrowserSystem, string>> = {
  'tealeaf-web': 'tealeafPage.ts',
  'transformersjs-web': 'transformersPage.ts',
  'ort-web-bare-web': 'barePage.ts',
};

/** URL prefixes and the folders they serve, read-only. */
const STATIC: Readonly<Record<string, string>> = {
  '/ort-web/': path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist'),
  // transformers.js brings its own onnxruntime-web (a newer build than Tealeaf's pinned one).
  '/ort-tjs/': path.join(ROOT, 'node_modules', '@huggingface', 'transformers', 'node_modules', 'onnxruntime-web', 'dist'),
};

export interface BrowserBench {
  /** The URL a page opens a served model folder by (ending in '/'). */
  modelUrl(dir: string): string;
  decode(system: BrowserSystem, job: DecodeJob): Promise<DecodeRun>;
  close(): Promise<void>;
}

export async function openBrowserBench(modelDirs: readonly string[], log: (line: string) => void, chromiumArgs: readonly string[] = []): Promise<BrowserBench> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-bench-pages-'));
  await build({
    entryPoints: Object.fromEntries(Object.entries(PAGES).map(([system, file]) => [system, path.join(__dirname, 'browser', file)])),
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    minify: false,
    logLevel: 'error',
  });
  // Each model folder under /models/<its name>/, as transformers.js expects a local model path.
  const models = new Map(modelDirs.map((dir) => [`/models/${path.basename(dir)}/`, dir]));
  const folders: [string, string][] = [['/pages/', out], ...Object.entries(STATIC), ...models];
  const server = await serveFolders(folders);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await launchBrowser(chromiumArgs);
  log(`side-by-side: headless Chromium ${browser.version()} on ${origin}`);
  return {
    modelUrl: (dir) => `${origin}/models/${path.basename(dir)}/`,
    async decode(system, job) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      try {
        await page.goto(`${origin}/pages/${system}.html`);
        await page.waitForFunction(() => (globalThis as PageGlobal).bench !== undefined, undefined, { timeout: 60_000 }).catch(() => {
          throw new Error(`${system}: the page did not start${errors.length ? `: ${errors.join('; ')}` : ''}`);
        });
        return await page.evaluate((j) => ((globalThis as PageGlobal).bench as BenchPage).decode(j), job);
      } finally {
        await page.close();
      }
    },
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(out, { recursive: true, force: true });
    },
  };
}
