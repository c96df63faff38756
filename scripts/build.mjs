// One esbuild script, one context per target:
//   extension host  src/extension.ts  → dist/extension.js  (Node, CJS, vscode external)
//   engine worker   src/host/worker.ts → dist/worker.mjs   (Node, ESM: ORT finds its wasm via import.meta.url)
//   CLI             src/cli/main.ts    → dist/cli.mjs      (Node, ESM)
//   webviews        see scripts/build-webview.mjs          (browser, ESM)
// Type checking is separate (`npm run typecheck`). `--watch` rebuilds on change.
// onnxruntime-node's addon goes to dist/native/{platform}-{arch}/ for one target: `--target T`
// (a VS Code platform such as linux-x64), `--target universal` for none, default this machine's.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const args = process.argv.slice(2);
const watch = args.includes('--watch');
const production = args.includes('--production');
const targetArg = args.includes('--target') ? args[args.indexOf('--target') + 1] : undefined;

// ESM bundles of CJS dependencies call require(); give them one.
const esmRequireBanner = "import { createRequire as __tealeafCreateRequire } from 'node:module'; const require = __tealeafCreateRequire(import.meta.url);";

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

/**
 * onnxruntime-node inside a bundle. Its dist/binding.js requires the addon by a path relative to
 * itself in node_modules, which a bundle does not have: src/host/ortNodeBinding.ts stands in for
 * it and loads the addon from dist/native/{platform}-{arch}/. And onnxruntime-web imports
 * onnxruntime-common's ESM build while onnxruntime-node requires its CJS build: both get the ESM
 * one, so the bundles run one onnxruntime-common, as Node does under tsx (tests, bench).
 */
const ortNodePlugin = {
  name: 'onnxruntime-node',
  setup(build) {
    build.onResolve({ filter: /^\.\/binding$/ }, (args) =>
      /onnxruntime-node[\\/]dist$/.test(args.resolveDir) ? { path: join(root, 'src', 'host', 'ortNodeBinding.ts') } : undefined,
    );
    build.onResolve({ filter: /^onnxruntime-common$/ }, () => ({ path: join(root, 'node_modules', 'onnxruntime-common', 'dist', 'esm', 'index.js') }));
  },
};

const targets = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] },
  { ...common, entryPoints: ['src/host/worker.ts'], outfile: 'dist/worker.mjs', platform: 'node', format: 'esm', target: 'node20', banner: { js: esmRequireBanner }, plugins: [ortNodePlugin] },
  // playwright-core (a development dependency) only for `bench --backends`' engine page: never bundled.
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.mjs', platform: 'node', format: 'esm', target: 'node20', banner: { js: esmRequireBanner }, plugins: [ortNodePlugin], external: ['playwright-core'] },
].filter((t) => existsSync(join(root, t.entryPoints[0])));

/** VS Code's platform targets (vsce package --target) and where onnxruntime-node keeps each one's addon. */
export const NATIVE_TARGETS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'win32-x64', 'win32-arm64'];

/** onnxruntime-node's folder of binaries for a target (onnxruntime_binding.node and the library it links). */
export function addonSource(target) {
  const [platform, arch] = target.split('-');
  return join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', platform, arch);
}

/**
 * dist/native/{target}/ with that target's binaries, and no other target's. A target onnxruntime-node
 * has no build for (darwin-x64 since 1.30) is refused: its VSIX could only run on WebAssembly.
 * Copies only what changed (the Linux addon is 45 MB).
 */
export function copyNativeAddon(target) {
  const nativeDir = join(dist, 'native');
  for (const other of existsSync(nativeDir) ? readdirSync(nativeDir) : []) if (other !== target) rmSync(join(nativeDir, other), { recursive: true, force: true });
  if (target === 'universal') return [];
  if (!NATIVE_TARGETS.includes(target)) throw new Error(`unknown target ${target}: use one of ${NATIVE_TARGETS.join(', ')} or universal`);
  const source = addonSource(target);
  if (!existsSync(join(source, 'onnxruntime_binding.node'))) {
    throw new Error(`onnxruntime-node has no ${target} build (${source}): that platform runs the universal VSIX, on WebAssembly`);
  }
  const out = join(nativeDir, target);
  mkdirSync(out, { recursive: true });
  const files = readdirSync(source);
  for (const name of readdirSync(out)) if (!files.includes(name)) rmSync(join(out, name), { force: true });
  for (const name of files) {
    const from = statSync(join(source, name));
    const to = existsSync(join(out, name)) ? statSync(join(out, name)) : undefined;
    if (!to || to.size !== from.size || to.mtimeMs < from.mtimeMs) copyFileSync(join(source, name), join(out, name));
  }
  return files.map((name) => join('dist', 'native', target, name));
}

/** This machine's target when onnxruntime-node has a build for it, else universal. */
export function hostTarget() {
  const target = `${process.platform}-${process.arch}`;
  return NATIVE_TARGETS.includes(target) && existsSync(join(addonSource(target), 'onnxruntime_binding.node')) ? target : 'universal';
}

// onnxruntime-web loads these relative to the bundle that imports it.
function copyOrtWasm() {
  mkdirSync(dist, { recursive: true });
  const ortDist = join(root, 'node_modules', 'onnxruntime-web', 'dist');
  // The worker's plain WASM build.
  for (const file of ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']) {
    copyFileSync(join(ortDist, file), join(dist, file));
  }
  // The engine webview's: onnxruntime-web/webgpu runs the asyncify build (WebGPU execution
  // provider and the wasm one). Its glue is bundled into dist/webview/engine.js; the .mjs is
  // copied too for a build that resolves the non-bundle entry.
  const ortWebview = join(dist, 'webview', 'ort');
  mkdirSync(ortWebview, { recursive: true });
  for (const file of ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm']) {
    const to = join(ortWebview, file);
    const from = statSync(join(ortDist, file));
    const there = existsSync(to) ? statSync(to) : undefined;
    if (!there || there.size !== from.size || there.mtimeMs < from.mtimeMs) copyFileSync(join(ortDist, file), to);
  }
}

async function main() {
  copyOrtWasm();
  const native = targetArg ?? hostTarget();
  copyNativeAddon(native);
  const extra = existsSync(join(root, 'scripts', 'build-webview.mjs')) ? (await import('./build-webview.mjs')).webviewTargets ?? [] : [];
  const all = [...targets, ...extra.map((t) => ({ ...common, ...t }))];
  if (watch) {
    for (const target of all) await (await esbuild.context(target)).watch();
    console.log(`watching ${all.length} targets`);
  } else {
    await Promise.all(all.map((target) => esbuild.build(target)));
    console.log(`built ${all.map((t) => t.outfile ?? t.outdir).join(', ')}; native addon: ${native}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
