// Webview bundles (browser, ESM). scripts/build.mjs imports `webviewTargets` and builds them with
// its common options; `node scripts/build-webview.mjs` builds them alone (webview tests, --watch).
//   webview/inspector/main.ts       → dist/webview/inspector.js   (the attention inspector)
//   webview/inspector/inspector.css → dist/webview/inspector.css
//   webview/engine/main.ts          → dist/webview/engine.js      (the Tealeaf Engine panel; ORT's files in dist/webview/ort/)
// @vscode-elements/elements is bundled in: the page loads nothing from a CDN (its CSP allows no remote origin).
import * as esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const webviewTargets = [
  {
    entryPoints: ['webview/inspector/main.ts'],
    outfile: 'dist/webview/inspector.js',
    platform: 'browser',
    format: 'esm',
    // VS Code 1.100's webviews are Chromium 132+
    target: 'chrome120',
    tsconfig: 'webview/tsconfig.json',
  },
  {
    // onnxruntime-web/webgpu resolves to its bundle build (the WebAssembly glue inside): the page
    // fetches only the .wasm, from dist/webview/ort/ (scripts/build.mjs copies it).
    entryPoints: ['webview/engine/main.ts'],
    outfile: 'dist/webview/engine.js',
    platform: 'browser',
    format: 'esm',
    target: 'chrome120',
    tsconfig: 'webview/tsconfig.json',
  },
  {
    entryPoints: ['webview/inspector/inspector.css'],
    outfile: 'dist/webview/inspector.css',
    target: 'chrome120',
  },
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const watch = process.argv.includes('--watch');
  const production = process.argv.includes('--production');
  const options = webviewTargets.map((t) => ({ ...t, bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root }));
  if (watch) {
    for (const o of options) await (await esbuild.context(o)).watch();
    console.log(`watching ${options.length} webview targets`);
  } else {
    await Promise.all(options.map((o) => esbuild.build(o)));
    console.log(`built ${options.map((o) => o.outfile).join(', ')}`);
  }
}
