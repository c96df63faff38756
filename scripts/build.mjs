// One esbuild script, one context per target:
//   extension host  src/extension.ts  → dist/extension.js  (Node, CJS, vscode external)
//   engine worker   src/host/worker.ts → dist/worker.mjs   (Node, ESM: ORT finds its wasm via import.meta.url)
//   CLI             src/cli/main.ts    → dist/cli.mjs      (Node, ESM)
//   webviews        see scripts/build-webview.mjs          (browser, ESM)
// Type checking is separate (`npm run typecheck`). `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

// ESM bundles of CJS dependencies call require(); give them one.
const esmRequireBanner = "import { createRequire as __tealeafCreateRequire } from 'node:module'; const require = __tealeafCreateRequire(import.meta.url);";

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

const targets = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  { ...common, entryPoints: ['src/host/worker.ts'], outfile: 'dist/worker.mjs', platform: 'node', format: 'esm', target: 'node20', banner: { js: esmRequireBanner } },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.mjs', platform: 'node', format: 'esm', target: 'node20', banner: { js: esmRequireBanner } },
].filter((t) => existsSync(join(root, t.entryPoints[0])));

// onnxruntime-web loads these relative to the bundle that imports it.
function copyOrtWasm() {
  mkdirSync(dist, { recursive: true });
  const ortDist = join(root, 'node_modules', 'onnxruntime-web', 'dist');
  // Only the plain WASM build: the asyncify build is for the WebGPU execution provider, which no
  // shipped engine host uses yet.
  for (const file of ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) {
    copyFileSync(join(ortDist, file), join(dist, file));
  }
}

copyOrtWasm();
const extra = existsSync(join(root, 'scripts', 'build-webview.mjs')) ? (await import('./build-webview.mjs')).webviewTargets ?? [] : [];
const all = [...targets, ...extra.map((t) => ({ ...common, ...t }))];
if (watch) {
  for (const target of all) await (await esbuild.context(target)).watch();
  console.log(`watching ${all.length} targets`);
} else {
  await Promise.all(all.map((target) => esbuild.build(target)));
  console.log(`built ${all.map((t) => t.outfile ?? t.outdir).join(', ')}`);
}
