// `npm run package`: a production build, a check that every bundled model folder is complete
// and matches its SHA256SUMS, then the VSIX for desktop VS Code (@vscode/vsce 3.9.2; 4.x needs
// Node 22). What goes in is decided by .vscodeignore (an allow-list); we list it and fail if
// anything that must never ship (sources, tests, node_modules, recipes) slipped in.
// Without --target the VSIX is universal and carries no native code (models run on WebAssembly);
// `--target linux-x64` (or linux-arm64, darwin-arm64, win32-x64, win32-arm64) makes the
// platform-specific VSIX with that platform's onnxruntime-node addon and nothing of any other.
//
//   node scripts/package.mjs [--target T] [--out file.vsix] [--allow-missing-models] [--no-build]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NATIVE_TARGETS } from './build.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VSCE = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
/**
 * vsce globs every file under its folder before applying .vscodeignore; in the repository that
 * means the 300 MB e2e install and the training work folders (minutes). It packs a stage instead:
 * the top-level entries that can hold shipped files, hard-linked, and .vscodeignore decides.
 */
const STAGE = join(ROOT, 'out', 'vsix-stage');
const STAGED_ENTRIES = ['dist', 'media', 'models', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore'];

/** The defaults the extension and the CLI fall back to (src/bundledModels.ts). */
const DEFAULT_MODELS = ['models/tealeaf-code', 'models/tealeaf-translate'];

/** Files the extension needs at run time: the bundles and onnxruntime-web's WASM beside them (the engine webview's in dist/webview/ort/). */
const REQUIRED_DIST = [
  'dist/extension.js',
  'dist/worker.mjs',
  'dist/ort-wasm-simd-threaded.mjs',
  'dist/ort-wasm-simd-threaded.wasm',
  'dist/webview/engine.js',
  'dist/webview/ort/ort-wasm-simd-threaded.asyncify.wasm',
];

/** Native code: onnxruntime-node's addon and the libraries it loads. */
const NATIVE_FILE = /\.(node|so(\.\d+)*|dylib|dll)$/;

/**
 * The VSIX's native files are exactly one target's: all of them in dist/native/{target}/, its
 * addon among them; a universal VSIX has none. Returns them; throws a PackageCheckError naming
 * what is wrong.
 * @param {readonly string[]} files paths in the VSIX (as `vsce ls` lists them)
 * @param {string} target a VS Code platform target, or 'universal'
 */
export function checkNativeFiles(files, target) {
  const native = files.filter((f) => NATIVE_FILE.test(f) || f.startsWith('dist/native/'));
  if (target === 'universal') {
    if (native.length > 0) throw new PackageCheckError(`the universal VSIX must carry no native code, but has:\n  ${native.join('\n  ')}`);
    return native;
  }
  const foreign = native.filter((f) => !f.startsWith(`dist/native/${target}/`));
  if (foreign.length > 0) throw new PackageCheckError(`the ${target} VSIX carries native files of another platform:\n  ${foreign.join('\n  ')}`);
  if (!native.includes(`dist/native/${target}/onnxruntime_binding.node`)) throw new PackageCheckError(`the ${target} VSIX lacks dist/native/${target}/onnxruntime_binding.node`);
  return native;
}

/** Parses --target: a platform onnxruntime-node ships (see build.mjs) or universal. */
export function parseTarget(value) {
  if (value === undefined || value === 'universal') return 'universal';
  if (!NATIVE_TARGETS.includes(value)) throw new PackageCheckError(`unknown --target ${value}: use one of ${NATIVE_TARGETS.join(', ')} (or none for the universal VSIX)`);
  return value;
}

/** Paths that must never be in the VSIX, whatever .vscodeignore says. */
const FORBIDDEN = [/^src\//, /^test\//, /^node_modules\//, /^models\/recipes\//, /^scripts\//, /^bench\//, /^\.e2e\//, /\.map$/, /\.ts$/];

export class PackageCheckError extends Error {
  name = 'PackageCheckError';
}

function sha256(file) {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

/** Every file under `dir`, as paths relative to it (symlinks are reported, never followed). */
function listFiles(dir, base = dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full, base));
    else out.push(relative(base, full));
  }
  return out;
}

/**
 * Parses `sha256sum` output: "<64 hex>  <path>" (text mode) or "<64 hex> *<path>" (binary mode).
 * @returns {Map<string, string>} path → hash
 */
export function parseSha256Sums(text, source) {
  const sums = new Map();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match) throw new PackageCheckError(`${source}:${index + 1}: not a sha256sum line: ${line}`);
    const path = match[2].replace(/^\.\//, '');
    if (path.startsWith('/') || path.split('/').includes('..')) throw new PackageCheckError(`${source}:${index + 1}: path leaves the folder: ${path}`);
    sums.set(path, match[1].toLowerCase());
  }
  return sums;
}

/**
 * A bundled model folder is complete when it has SHA256SUMS, every listed file exists with that
 * hash, and no file ships unlisted (an unlisted file would go into the VSIX unchecked).
 * @returns {Promise<{ files: number, bytes: number }>}
 */
export async function checkModelFolder(dir) {
  const name = relative(ROOT, dir);
  const sumsFile = join(dir, 'SHA256SUMS');
  if (!existsSync(sumsFile)) throw new PackageCheckError(`${name}: SHA256SUMS is missing`);
  const sums = parseSha256Sums(readFileSync(sumsFile, 'utf8'), `${name}/SHA256SUMS`);
  if (sums.size === 0) throw new PackageCheckError(`${name}/SHA256SUMS lists no files`);
  const problems = [];
  let bytes = 0;
  for (const [path, expected] of sums) {
    const file = join(dir, path);
    if (!existsSync(file)) {
      problems.push(`${path}: missing`);
      continue;
    }
    if (lstatSync(file).isSymbolicLink()) {
      problems.push(`${path}: a symlink (models must be plain files)`);
      continue;
    }
    bytes += statSync(file).size;
    const actual = await sha256(file);
    if (actual !== expected) problems.push(`${path}: sha256 ${actual}, SHA256SUMS says ${expected}`);
  }
  for (const path of listFiles(dir)) {
    if (path !== 'SHA256SUMS' && !sums.has(path)) problems.push(`${path}: not listed in SHA256SUMS`);
  }
  if (problems.length > 0) throw new PackageCheckError(`${name} does not match its SHA256SUMS:\n  ${problems.join('\n  ')}`);
  return { files: sums.size, bytes };
}

/** Checks every models/tealeaf-* folder; the defaults must exist unless allowMissing. */
export async function checkModels({ allowMissing = false, log = console.log } = {}) {
  const modelsDir = join(ROOT, 'models');
  const folders = existsSync(modelsDir)
    ? readdirSync(modelsDir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && e.name.startsWith('tealeaf-'))
        .map((e) => join(modelsDir, e.name))
    : [];
  const missing = DEFAULT_MODELS.filter((m) => !folders.includes(join(ROOT, m)));
  if (missing.length > 0) {
    const message = `Bundled default model(s) missing: ${missing.join(', ')} (train them with models/recipes/)`;
    if (!allowMissing) throw new PackageCheckError(message);
    log(`warning: ${message}; the VSIX will need tealeaf.*.model settings`);
  }
  for (const folder of folders) {
    const { files, bytes } = await checkModelFolder(folder);
    log(`model ${relative(ROOT, folder)}: ${files} files match SHA256SUMS (${(bytes / 1e6).toFixed(1)} MB)`);
  }
}

/** Hard-links (or copies, across devices) `from` into `to`, skipping models/recipes. */
function stageEntry(from, to) {
  const stat = lstatSync(from);
  if (stat.isSymbolicLink()) throw new PackageCheckError(`${relative(ROOT, from)} is a symlink: it would not be packed as the file it points to`);
  if (stat.isDirectory()) {
    if (relative(ROOT, from) === join('models', 'recipes')) return;
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) stageEntry(join(from, name), join(to, name));
    return;
  }
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

function stage() {
  rmSync(STAGE, { recursive: true, force: true });
  mkdirSync(STAGE, { recursive: true });
  for (const entry of STAGED_ENTRIES) {
    if (existsSync(join(ROOT, entry))) stageEntry(join(ROOT, entry), join(STAGE, entry));
  }
}

function run(command, args, cwd = ROOT) {
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    throw new PackageCheckError(`${[command, ...args].join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Builds (production) unless noBuild, checks, packages. Returns the VSIX path, size and file list.
 * @param {{ out?: string, target?: string, allowMissingModels?: boolean, noBuild?: boolean, log?: (line: string) => void }} [options]
 */
export async function packageVsix(options = {}) {
  const log = options.log ?? console.log;
  const target = parseTarget(options.target);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const suffix = target === 'universal' ? '' : `-${target}`;
  const out = resolve(options.out ?? join(ROOT, `${manifest.name}${suffix}-${manifest.version}.vsix`));
  // Models first: hashing is quick and a stale model is the likelier mistake.
  await checkModels({ allowMissing: options.allowMissingModels, log });
  // The build puts this target's addon (and no other) in dist/native/.
  if (!options.noBuild) run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--production', '--target', target]);
  const required = [...REQUIRED_DIST, ...(target === 'universal' ? [] : [`dist/native/${target}/onnxruntime_binding.node`])];
  const missingDist = required.filter((f) => !existsSync(join(ROOT, f)));
  if (missingDist.length > 0) throw new PackageCheckError(`Build output missing: ${missingDist.join(', ')} (npm run build)`);

  // The same list vsce packs: dependencies are bundled by esbuild, so none are added.
  const vsceFlags = ['--no-dependencies'];
  stage();
  const files = run(process.execPath, [VSCE, 'ls', ...vsceFlags], STAGE).split('\n').map((l) => l.trim()).filter(Boolean);
  const forbidden = files.filter((f) => FORBIDDEN.some((pattern) => pattern.test(f)));
  if (forbidden.length > 0) throw new PackageCheckError(`.vscodeignore lets through files that must not ship:\n  ${forbidden.join('\n  ')}`);
  const native = checkNativeFiles(files, target);

  // The README's screenshot is a relative link into the package (media/): keep it relative.
  const targetFlags = target === 'universal' ? [] : ['--target', target];
  run(process.execPath, [VSCE, 'package', ...vsceFlags, ...targetFlags, '--no-rewrite-relative-links', '--allow-missing-repository', '--skip-license', '--out', out], STAGE);
  const bytes = statSync(out).size;
  log(`${relative(process.cwd(), out) || out}: ${(bytes / 1e6).toFixed(2)} MB, ${files.length} files, ${target}${native.length > 0 ? ` (native: ${native.join(', ')})` : ' (no native code)'}`);
  return { path: out, bytes, files, target };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const targetIndex = args.indexOf('--target');
  packageVsix({
    out: outIndex >= 0 ? args[outIndex + 1] : undefined,
    target: targetIndex >= 0 ? args[targetIndex + 1] : undefined,
    allowMissingModels: args.includes('--allow-missing-models'),
    noBuild: args.includes('--no-build'),
  })
    .then(({ files }) => {
      for (const file of files) console.log(`  ${file}`);
    })
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
