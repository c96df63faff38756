// What mutation testing mutates: the folders, and the files in them it never mutates. Shared by
// stryker.config.mjs (the globs) and run.mjs (the files a folder's score is summed over).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FOLDERS = ['src/engine', 'src/translate', 'src/completions', 'src/models', 'src/host'];

/** Never mutated, whichever folders a run names: code that runs only at module level. */
export const NOT_MUTATED = [
  // Entry point of the engine process: it only wires the channel to EngineService.
  'src/host/worker.ts',
  // The require() shim esbuild puts in place of onnxruntime-node's binding (no logic).
  'src/host/ortNodeBinding.ts',
];

/** The files under `dir` (relative to `root`, with /) whose names end in `suffix`. */
export function filesEnding(root, dir, suffix) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return filesEnding(root, file, suffix);
    return entry.name.endsWith(suffix) ? [file] : [];
  });
}

/**
 * The files a run mutates, path (relative, with /) → source: of `targets` (folders or .ts files),
 * else of every folder.
 */
export function mutatedSources(root, targets = FOLDERS) {
  const files = targets.flatMap((t) => (t.endsWith('.ts') ? [t] : filesEnding(root, t, '.ts')));
  return Object.fromEntries(
    [...new Set(files)]
      .filter((file) => !NOT_MUTATED.includes(file))
      .sort()
      .map((file) => [file, readFileSync(join(root, file), 'utf8')]),
  );
}
