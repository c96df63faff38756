// `npm start`: Tealeaf in VS Code in the browser, on this machine only.
//   builds and packages the extension, installs it into a local code-server (installing
//   code-server 4.100.3 into .e2e/ on the first run), and serves a copy of the sample workspace
//   on http://127.0.0.1:8080 (PORT=… to change). Ctrl-C stops code-server and everything it
//   started (its whole process group). Nothing is written outside the repository's .e2e/ folder.
import { relative } from 'node:path';
import { hostTarget } from './build.mjs';
import { packageVsix } from './package.mjs';
import { copyWorkspace, createRun, installExtension, startCodeServer } from './e2e/codeServer.mjs';
import { ensureE2eTools } from './e2e/install.mjs';
import { applyModelSettings, chooseModels, describeModels } from './e2e/models.mjs';
import { REPO_ROOT, SAMPLE_WORKSPACE, VSIX_PATH } from './e2e/paths.mjs';
import { onInterrupt } from './e2e/proc.mjs';

const port = Number(process.env.PORT ?? 8080);
const log = (line) => console.log(`[start] ${line}`);

async function portIsFree() {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
    return false;
  } catch {
    return true;
  }
}

async function main() {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT must be a TCP port, not ${process.env.PORT}`);
  if (!(await portIsFree())) throw new Error(`Something already answers on 127.0.0.1:${port}; stop it or run PORT=8081 npm start`);
  await ensureE2eTools({ log });
  const vsix = await packageVsix({ out: VSIX_PATH, allowMissingModels: true, log, target: hostTarget() });
  log(`packaged ${relative(REPO_ROOT, vsix.path)} (${(vsix.bytes / 1e6).toFixed(1)} MB)`);

  const models = chooseModels();
  if (!models.completion?.bundled || !models.translation?.bundled) {
    log('the bundled models are not all there yet: using the test fixtures where they are missing (their output is noise)');
  }
  log(`models: ${describeModels(models)}`);

  const run = createRun('start', 2);
  await installExtension(run, vsix.path);
  const workspace = copyWorkspace(run, SAMPLE_WORKSPACE, 'sample-workspace');
  applyModelSettings(workspace, models);
  const server = await startCodeServer(run, { port, folder: workspace });
  let stopping = false;
  onInterrupt(() => {
    stopping = true;
    console.log('\n[start] stopping code-server…');
    return server.group.stop();
  });

  console.log('');
  console.log(`  Tealeaf is running in VS Code at  ${server.url}/`);
  console.log('');
  console.log(`  workspace: ${workspace}`);
  console.log(`  logs:      ${server.logFile}`);
  console.log('  Try: open src/geometry.ts and type in midpoint(); select a line and run "Tealeaf: Inspect Attention";');
  console.log('       select a sentence in docs/welcome.md and run "Tealeaf: Translate Selection to German".');
  console.log('  Ctrl-C stops it.');
  await server.group.exited;
  if (stopping) return;
  throw new Error(`code-server stopped by itself (log: ${server.logFile})`);
}

main().catch((error) => {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
