// `npm run test:e2e`: Tealeaf in a real VS Code (code-server 4.100.3).
//   1. installs the tools into .e2e/ (cached), 2. builds and packages the VSIX, 3. builds and
//   type-checks test/e2e, 4. installs the VSIX into a fresh run folder, 5. starts code-server in
//   its own process group, 6. runs the API tests inside the extension host, then the Playwright
//   UI tests, 7. stops the whole process group (also on failure or Ctrl-C).
// Exit code: 0 only when every test passed and at least one ran.
//
//   node scripts/e2e/run.mjs [--grep REGEX] [--api-only] [--ui-only] [--no-package]
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { hostTarget } from '../build.mjs';
import { packageVsix } from '../package.mjs';
import { copyWorkspace, createRun, freePort, installExtension, startCodeServer } from './codeServer.mjs';
import { ensureE2eTools } from './install.mjs';
import { applyModelSettings, chooseModels, describeModels } from './models.mjs';
import { ARTIFACTS_DIR, E2E_DIR, REPO_ROOT, SAMPLE_WORKSPACE, TESTS_OUT_DIR, VSIX_PATH } from './paths.mjs';
import { onInterrupt, runCommand } from './proc.mjs';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const grep = option('--grep');

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const step = (message) => console.log(`[e2e ${elapsed()}] ${message}`);

/** esbuild bundles of test/e2e; mocha, playwright-core resolve from .e2e/node_modules at run time. */
async function buildTests() {
  rmSync(TESTS_OUT_DIR, { recursive: true, force: true });
  const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline', logLevel: 'warning', absWorkingDir: REPO_ROOT };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: ['test/e2e/api/index.ts'], outfile: join(TESTS_OUT_DIR, 'api', 'index.js'), external: ['vscode', 'mocha'] }),
    esbuild.build({ ...common, entryPoints: ['test/e2e/ui/index.ts'], outfile: join(TESTS_OUT_DIR, 'ui', 'index.js'), external: ['mocha', 'playwright-core'] }),
    esbuild.build({ ...common, entryPoints: ['test/e2e/hub/index.ts'], outfile: join(TESTS_OUT_DIR, 'hub', 'index.js') }),
  ]);
  await runCommand(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', join(REPO_ROOT, 'test', 'e2e')]);
}

/**
 * A second code-server with Workspace Trust on, started when the trust suite runs: its workspace's
 * .vscode/settings.json names a completion model (a test fixture) that must be ignored, in
 * Restricted Mode, for the bundled one.
 */
async function startUntrustedWorkspace(models) {
  if (!models.completion?.bundled) throw new Error('the Workspace Trust suite needs the bundled completion model (models/tealeaf-code)');
  const run = createRun('trust', 3, { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' });
  await installExtension(run, VSIX_PATH);
  const folder = copyWorkspace(run, SAMPLE_WORKSPACE, 'workspace-untrusted');
  const workspaceModel = join(REPO_ROOT, 'test', 'fixtures', 'models', 'tiny-gpt2');
  applyModelSettings(folder, { completion: { dir: workspaceModel, bundled: false } });
  const server = await startCodeServer(run, { port: await freePort(), workspaceTrust: true });
  onInterrupt(() => server.group.stop());
  step(`code-server with Workspace Trust ${server.url} (process group ${server.group.pgid}, log ${relative(REPO_ROOT, server.logFile)})`);
  return { url: server.url, folder, workspaceModel, bundledModelName: basename(models.completion.dir), stop: () => server.group.stop() };
}

async function main() {
  await ensureE2eTools({ log: step });
  step('tools ready');

  if (!args.includes('--no-package')) {
    // This platform's VSIX: the native backend is tested where onnxruntime-node has a build.
    const vsix = await packageVsix({ out: VSIX_PATH, allowMissingModels: true, log: step, target: hostTarget() });
    step(`packaged ${relative(REPO_ROOT, vsix.path)} (${(vsix.bytes / 1e6).toFixed(1)} MB)`);
  }
  await buildTests();
  step('built and type-checked test/e2e');

  const models = chooseModels();
  step(`models: ${describeModels(models)} (tests of a role without a model are skipped)`);

  const run = createRun('test');
  const extensionDir = await installExtension(run, VSIX_PATH);
  const apiFolder = copyWorkspace(run, SAMPLE_WORKSPACE, 'workspace-api');
  const uiFolder = copyWorkspace(run, SAMPLE_WORKSPACE, 'workspace-ui');
  applyModelSettings(apiFolder, models);
  applyModelSettings(uiFolder, models);
  rmSync(ARTIFACTS_DIR, { recursive: true, force: true });
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  step(`installed the VSIX into ${relative(REPO_ROOT, run.dir)}`);

  const apiReportFile = join(run.logs, 'api-tests.txt');
  run.env.TEALEAF_E2E_REPORT = apiReportFile;
  run.env.TEALEAF_E2E_MODELS = Object.keys(models).join(',');
  // A model with fill-in-the-middle tokens for the FIM test (random weights, Qwen2.5-Coder's layout).
  const fimModel = join(REPO_ROOT, 'test', 'fixtures', 'models', 'hub-qwen2.5-coder');
  if (existsSync(join(fimModel, 'config.json'))) run.env.TEALEAF_E2E_FIM_MODEL = fimModel;
  if (grep) run.env.TEALEAF_E2E_GREP = grep;
  // Chromium (its profile, crash reports, dconf) and Playwright's temporary files go into the
  // run folder too: this process launches them with its own environment.
  for (const name of ['HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR', 'TMPDIR']) {
    process.env[name] = run.env[name];
  }

  // A local mock of the Hugging Face Hub serving the hub-* fixtures (throttled, so the download
  // notification stays on screen), and an empty Hugging Face cache for the download test.
  const { fixtureRepos, startMockHub } = createRequire(import.meta.url)(join(TESTS_OUT_DIR, 'hub', 'index.js'));
  const hub = await startMockHub({ repos: fixtureRepos(join(REPO_ROOT, 'test', 'fixtures', 'models')), bytesPerSecond: 100_000 });
  run.env.HF_ENDPOINT = hub.endpoint;
  run.env.HF_HUB_CACHE = join(run.dir, 'hf-cache');
  onInterrupt(() => hub.close());
  step(`mock Hugging Face Hub ${hub.endpoint} (cache ${relative(REPO_ROOT, run.env.HF_HUB_CACHE)})`);

  const port = await freePort();
  const server = await startCodeServer(run, { port });
  onInterrupt(() => server.group.stop());
  step(`code-server ${server.url} (process group ${server.group.pgid}, log ${relative(REPO_ROOT, server.logFile)})`);

  let result;
  try {
    const require = createRequire(join(E2E_DIR, 'package.json'));
    const { runBrowserTests } = require(join(TESTS_OUT_DIR, 'ui', 'index.js'));
    result = await runBrowserTests({
      url: server.url,
      apiFolder,
      uiFolder,
      extensionDir,
      apiTestsPath: join(TESTS_OUT_DIR, 'api', 'index.js'),
      apiReportFile,
      artifactsDir: ARTIFACTS_DIR,
      logsDir: run.logs,
      models,
      hubCache: run.env.HF_HUB_CACHE,
      startUntrustedWorkspace: () => startUntrustedWorkspace(models),
      ...(grep ? { grep } : {}),
      skipApi: args.includes('--ui-only'),
      skipUi: args.includes('--api-only'),
    });
  } finally {
    await server.group.stop();
    await hub.close();
    step('stopped code-server (whole process group)');
  }

  if (!args.includes('--ui-only')) {
    console.log('\nAPI tests (inside the VS Code extension host):');
    try {
      console.log(readFileSync(apiReportFile, 'utf8').replace(/^RESULT .*\n?/m, ''));
    } catch {
      console.log(`  no report: the tests did not start (see ${relative(REPO_ROOT, run.logs)})`);
    }
  }
  const shots = readdirSync(ARTIFACTS_DIR).filter((f) => f.endsWith('.png'));
  console.log(`screenshots: ${shots.map((f) => relative(REPO_ROOT, join(ARTIFACTS_DIR, f))).join(', ') || 'none'}`);
  console.log(`logs: ${relative(REPO_ROOT, run.logs)}`);
  const passed = result.api.passed + result.ui.passed;
  const failed = result.api.failed + result.ui.failed;
  const skipped = result.api.skipped + result.ui.skipped;
  console.log(`API ${result.api.passed} passed, ${result.api.failed} failed, ${result.api.skipped} skipped; UI ${result.ui.passed} passed, ${result.ui.failed} failed, ${result.ui.skipped} skipped; ${elapsed()} in all`);
  console.log(`e2e: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  if (failed > 0 || passed === 0 || (result.api.exitCode ?? 0) !== 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`[e2e ${elapsed()}] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
