// Where the end-to-end tools and runs live. Everything the e2e harness writes goes under
// E2E_DIR (.e2e/, git-ignored): the installed code-server, the run folders, the built tests.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const E2E_DIR = join(REPO_ROOT, '.e2e');
/** package.json + package-lock.json of the tools, committed here and copied into E2E_DIR. */
export const TOOLS_MANIFEST_DIR = join(REPO_ROOT, 'scripts', 'e2e');
export const TOOLS_NODE_MODULES = join(E2E_DIR, 'node_modules');
/** code-server's own entry: run with this Node (code-server 4.100.3 needs Node 20). */
export const CODE_SERVER_ENTRY = join(TOOLS_NODE_MODULES, 'code-server', 'out', 'node', 'entry.js');
export const RUNS_DIR = join(E2E_DIR, 'runs');
/** esbuild output of test/e2e (API tests for the extension host, UI tests for Node). */
export const TESTS_OUT_DIR = join(E2E_DIR, 'out');
export const VSIX_PATH = join(E2E_DIR, 'tealeaf.vsix');
export const SAMPLE_WORKSPACE = join(REPO_ROOT, 'test', 'e2e', 'sample-workspace');
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test', 'e2e', 'artifacts');

export const CHROMIUM = '/usr/bin/chromium';
export const DEBIAN_RG = '/usr/bin/rg';
/** The @vscode/ripgrep release code-server 4.100.3 pins, and the asset its postinstall fetches. */
export const RIPGREP_PACKAGE_VERSION = '1.15.11';
export const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
