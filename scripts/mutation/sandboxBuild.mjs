// Stryker's build command, run inside its sandbox (<project>/.stryker-tmp/sandbox-*): links the
// project's node_modules into the sandbox first (Stryker would link it only after the build, and
// scripts/build.mjs copies onnxruntime's wasm files out of it), then builds the bundles (worker,
// CLI, extension) from the instrumented sources, so tests that start a worker or the CLI run the
// active mutant too.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

const sandbox = process.cwd();
const project = resolve(sandbox, '..', '..');
if (!existsSync(join(sandbox, 'node_modules'))) symlinkSync(realpathSync(join(project, 'node_modules')), join(sandbox, 'node_modules'), 'dir');
const build = spawnSync(process.execPath, [join(sandbox, 'scripts', 'build.mjs')], { stdio: 'inherit' });
process.exit(build.status ?? 1);
