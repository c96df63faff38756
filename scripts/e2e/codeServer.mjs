// One code-server run: its own folder (user data, extensions, HOME, XDG_*, TMPDIR, logs), the
// VSIX installed into it, and the server in its own process group on 127.0.0.1.
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CODE_SERVER_ENTRY, RUNS_DIR } from './paths.mjs';
import { ProcessGroup, runCommand } from './proc.mjs';

export class CodeServerError extends Error {
  name = 'CodeServerError';
}

/** VS Code user settings for a quiet, deterministic workbench. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'editor.inlineSuggest.enabled': true,
  // Other providers' suggestion widgets would cover the ghost text and take Tab.
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.parameterHints.enabled': false,
  'typescript.suggest.enabled': false,
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
};

/**
 * Creates .e2e/runs/<name>-<time>/ with everything a run writes. Keeps the newest `keep` runs
 * of the same name for post-mortems and deletes older ones. `settings` add to or replace the
 * quiet user settings (the Workspace Trust run turns trust on).
 * @param {string} name
 * @param {Record<string, unknown>} settings
 */
export function createRun(name, keep = 3, settings = {}) {
  mkdirSync(RUNS_DIR, { recursive: true });
  const old = readdirSync(RUNS_DIR).filter((d) => d.startsWith(`${name}-`)).sort();
  for (const dir of old.slice(0, Math.max(0, old.length - (keep - 1)))) {
    rmSync(join(RUNS_DIR, dir), { recursive: true, force: true });
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const dir = join(RUNS_DIR, `${name}-${stamp}`);
  const paths = {
    dir,
    home: join(dir, 'home'),
    userData: join(dir, 'user-data'),
    extensions: join(dir, 'extensions'),
    logs: join(dir, 'logs'),
    tmp: join(dir, 'tmp'),
  };
  for (const p of Object.values(paths)) mkdirSync(p, { recursive: true });
  mkdirSync(join(paths.userData, 'User'), { recursive: true });
  writeFileSync(join(paths.userData, 'User', 'settings.json'), `${JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2)}\n`);
  /** Everything started for this run gets this environment: nothing lands outside `dir`. */
  const env = {
    ...process.env,
    HOME: paths.home,
    XDG_CONFIG_HOME: join(paths.home, '.config'),
    XDG_DATA_HOME: join(paths.home, '.local', 'share'),
    XDG_CACHE_HOME: join(paths.home, '.cache'),
    XDG_STATE_HOME: join(paths.home, '.local', 'state'),
    XDG_RUNTIME_DIR: join(paths.tmp, 'runtime'),
    TMPDIR: paths.tmp,
  };
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  return { ...paths, env };
}

/** Copies a workspace into the run, so tests never edit the repository's sample files. */
export function copyWorkspace(run, from, name) {
  const to = join(run.dir, name);
  cpSync(from, to, { recursive: true });
  return to;
}

export async function installExtension(run, vsix) {
  await runCommand(process.execPath, [CODE_SERVER_ENTRY, '--user-data-dir', run.userData, '--extensions-dir', run.extensions, '--install-extension', vsix, '--force'], {
    env: run.env,
    logFile: join(run.logs, 'install-extension.log'),
  });
  const installed = readdirSync(run.extensions).filter((d) => d.startsWith('tealeaf.tealeaf-'));
  if (installed.length !== 1) throw new CodeServerError(`expected one tealeaf.tealeaf-* in ${run.extensions}, found: ${installed.join(', ') || 'none'}`);
  return join(run.extensions, installed[0]);
}

/** A port the kernel says is free now (tests only; `npm start` uses a fixed one). */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePromise(address.port) : reject(new CodeServerError('no port'))));
    });
  });
}

/**
 * Starts code-server for `folder` and waits until it answers. The returned group must be
 * stopped (ProcessGroup also stops it when this process exits). Workspace Trust is off unless
 * `workspaceTrust` (its run's user settings must turn it on too).
 * @param {ReturnType<typeof createRun>} run
 * @param {{ port: number, folder?: string, timeoutMs?: number, workspaceTrust?: boolean }} options
 */
export async function startCodeServer(run, { port, folder, timeoutMs = 60_000, workspaceTrust = false }) {
  const args = [
    CODE_SERVER_ENTRY,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--user-data-dir',
    run.userData,
    '--extensions-dir',
    run.extensions,
    ...(folder ? [folder] : []),
  ];
  const logFile = join(run.logs, 'code-server.log');
  const group = new ProcessGroup(process.execPath, args, { env: run.env, logFile, cwd: run.dir });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  void group.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new CodeServerError(`code-server exited during start-up (log: ${logFile})`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return { group, url, logFile };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await group.stop();
  throw new CodeServerError(`code-server did not answer on ${url} within ${timeoutMs / 1000} s (log: ${logFile})`);
}
