// Installs the end-to-end tools (code-server 4.100.3 = VS Code 1.100.3, playwright-core, mocha)
// into the git-ignored .e2e/ folder from their own committed package.json and lock file, so
// that ~300 MB of VS Code never enters the extension's node_modules. Cached: a second run with
// the same manifests does nothing.
//
//   node scripts/e2e/install.mjs                 npm ci from the committed lock file
//   node scripts/e2e/install.mjs --update-lock   npm install, then copy the new lock back
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CHROMIUM,
  CODE_SERVER_ENTRY,
  DEBIAN_RG,
  E2E_DIR,
  RIPGREP_ASSET,
  RIPGREP_PACKAGE_VERSION,
  TOOLS_MANIFEST_DIR,
  TOOLS_NODE_MODULES,
} from './paths.mjs';
import { CommandError, runCommand } from './proc.mjs';

export class MissingPrerequisiteError extends Error {
  name = 'MissingPrerequisiteError';
}

const APT_HINT = 'apt-get update && apt-get install -y chromium ripgrep libkrb5-dev';

/**
 * Packages of VS Code (code-server's lib/vscode) whose install scripts must run: they build
 * VS Code's native modules and unpack ripgrep. npm 11 skips dependency install scripts unless
 * allowed, and refuses an allow-list that arrives as a flag or environment variable in a project
 * install; and npm hands every config it holds to lifecycle scripts as environment variables.
 * So the top-level install (scripts/e2e/package.json `allowScripts`) does not run code-server's
 * postinstall: we write this list into lib/vscode/.npmrc and run the postinstall ourselves.
 * Older npm ignores both and runs everything, which also works.
 */
const VSCODE_INSTALL_SCRIPTS = [
  '@parcel/watcher',
  '@vscode/deviceid',
  '@vscode/ripgrep',
  '@vscode/spdlog',
  '@vscode/windows-process-tree',
  '@vscode/windows-registry',
  'kerberos',
  'native-watchdog',
  'node-pty',
];

const STAMP = join(E2E_DIR, '.installed');
const TMP = join(E2E_DIR, 'tmp');

function checkPrerequisites() {
  const missing = [];
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (Debian package chromium)`);
  if (!existsSync(DEBIAN_RG)) missing.push(`${DEBIAN_RG} (Debian package ripgrep)`);
  // kerberos (VS Code's proxy authentication) compiles against these headers.
  if (!existsSync('/usr/include/gssapi/gssapi.h')) missing.push('GSSAPI headers (Debian package libkrb5-dev)');
  if (process.versions.node.split('.')[0] !== '20') missing.push(`Node 20 (code-server 4.100.3 requires it; this is ${process.version})`);
  if (missing.length > 0) {
    throw new MissingPrerequisiteError(`The e2e tools need: ${missing.join(', ')}.\nAs root: ${APT_HINT}`);
  }
}

function manifestHash() {
  const hash = createHash('sha256');
  hash.update(process.version);
  hash.update(VSCODE_INSTALL_SCRIPTS.join(','));
  for (const name of ['package.json', 'package-lock.json']) {
    const file = join(TOOLS_MANIFEST_DIR, name);
    hash.update(existsSync(file) ? readFileSync(file) : `no ${name}`);
  }
  return hash.digest('hex');
}

/**
 * @vscode/ripgrep's postinstall downloads ripgrep from GitHub unless the asset is already in
 * its cache under os.tmpdir(). Seed the cache with Debian's rg (ripgrep 13, same as the asset).
 */
async function seedRipgrepCache(logFile) {
  const cacheDir = join(TMP, `vscode-ripgrep-cache-${RIPGREP_PACKAGE_VERSION}`);
  mkdirSync(cacheDir, { recursive: true });
  const tarball = join(cacheDir, RIPGREP_ASSET);
  if (existsSync(tarball)) return;
  // The release tarball holds a single top-level `rg`; the postinstall untars it into bin/.
  await runCommand('tar', ['-czf', tarball, '-C', '/usr/bin', 'rg'], { logFile });
}

function npmEnv() {
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    TMPDIR: TMP,
    // code-server's postinstall.sh refuses to run as root without it (node-pty's build).
    npm_config_unsafe_perm: 'true',
    npm_config_yes: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // node-gyp downloads Node's headers unless told where they are; the Debian/NodeSource
  // package ships them for exactly this Node.
  const header = '/usr/include/node/node_version.h';
  if (existsSync(header) && readFileSync(header, 'utf8').includes(`#define NODE_PATCH_VERSION ${process.versions.node.split('.')[2]}`)) {
    env.npm_config_nodedir = '/usr';
  }
  return env;
}

/**
 * Ensures .e2e/ holds the tools for the committed manifests. Returns true when it installed.
 * @param {{ updateLock?: boolean, log?: (line: string) => void }} [options]
 */
export async function ensureE2eTools(options = {}) {
  const log = options.log ?? ((line) => console.log(line));
  checkPrerequisites();
  const wanted = manifestHash();
  if (!options.updateLock && existsSync(CODE_SERVER_ENTRY) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === wanted) {
    return false;
  }
  const lock = join(TOOLS_MANIFEST_DIR, 'package-lock.json');
  if (!options.updateLock && !existsSync(lock)) {
    throw new CommandError(`${lock} is missing: run node scripts/e2e/install.mjs --update-lock`);
  }
  mkdirSync(TMP, { recursive: true });
  const logFile = join(E2E_DIR, 'install.log');
  rmSync(logFile, { force: true });
  rmSync(STAMP, { force: true });
  log(`Installing code-server 4.100.3 and playwright-core into ${E2E_DIR} (first run only; a few minutes; log: ${logFile})`);
  const started = Date.now();
  copyFileSync(join(TOOLS_MANIFEST_DIR, 'package.json'), join(E2E_DIR, 'package.json'));
  if (existsSync(lock)) copyFileSync(lock, join(E2E_DIR, 'package-lock.json'));
  await seedRipgrepCache(logFile);
  if (options.updateLock) {
    await runCommand('npm', ['install'], { cwd: E2E_DIR, env: npmEnv(), logFile });
    copyFileSync(join(E2E_DIR, 'package-lock.json'), lock);
    log(`Updated ${lock}`);
  } else {
    // npm ci deletes node_modules first: a half-finished earlier install cannot linger.
    await runCommand('npm', ['ci'], { cwd: E2E_DIR, env: npmEnv(), logFile });
  }
  await runCodeServerPostinstall(logFile);
  if (!existsSync(CODE_SERVER_ENTRY)) {
    throw new CommandError(`code-server did not install: ${CODE_SERVER_ENTRY} is missing (log: ${logFile})`);
  }
  await verifyCodeServer(logFile);
  writeFileSync(STAMP, wanted);
  log(`Installed the e2e tools in ${Math.round((Date.now() - started) / 1000)} s`);
  return true;
}

/** code-server's postinstall.sh: `npm install` in lib/vscode and lib/vscode/extensions, links. */
async function runCodeServerPostinstall(logFile) {
  const codeServer = join(TOOLS_NODE_MODULES, 'code-server');
  if (existsSync(join(codeServer, 'lib', 'vscode', 'node_modules.asar'))) return; // older npm ran it
  const allow = VSCODE_INSTALL_SCRIPTS.map((name) => `allow-scripts[]=${name}`).join('\n');
  writeFileSync(join(codeServer, 'lib', 'vscode', '.npmrc'), `${allow}\n`);
  const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
  await runCommand('sh', ['./postinstall.sh'], {
    cwd: codeServer,
    env: {
      ...npmEnv(),
      // The script picks npm vs yarn and checks the Node major from this, as npm would set it.
      npm_config_user_agent: `npm/${npmVersion} node/${process.version} ${process.platform} ${process.arch}`,
    },
    logFile,
  });
}

/** The postinstall can "succeed" with a native module missing; catch that here, not in a test. */
async function verifyCodeServer(logFile) {
  const vscodeModules = join(TOOLS_NODE_MODULES, 'code-server', 'lib', 'vscode', 'node_modules');
  const required = [
    join(vscodeModules, '@vscode', 'ripgrep', 'bin', 'rg'),
    join(vscodeModules, 'node-pty', 'build', 'Release', 'pty.node'),
    join(vscodeModules, 'kerberos', 'build', 'Release', 'kerberos.node'),
  ];
  const missing = required.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new CommandError(`code-server's postinstall left out: ${missing.join(', ')} (log: ${logFile})`);
  }
  // code-server writes a default config.yaml on any start: keep it out of the user's ~/.config.
  const home = join(TMP, 'home');
  await runCommand(process.execPath, [CODE_SERVER_ENTRY, '--version'], {
    logFile,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'), TMPDIR: TMP },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureE2eTools({ updateLock: process.argv.includes('--update-lock') }).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
