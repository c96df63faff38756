// `tealeaf download` and `tealeaf models`, and `--model owner/name[@revision]` for every command
// that loads a model: resolved from the Hugging Face cache, downloaded only with `--download`.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type DtypeChoice, parseDtype } from '../engine/dtype';
import { ModelError } from '../engine/errors';
import { cachedModelFiles, findSnapshot, listCachedModels } from '../hub/cachedModels';
import { downloadModel, type DownloadResult } from '../hub/downloadModel';
import { hubEnvironment } from '../hub/environment';
import { describeProgress, formatBytes, type ProgressSnapshot } from '../hub/progress';
import { looksLikeRepoRef, parseRepoRef } from '../hub/repoId';
import { errorText } from '../util/unknown';

/** At most one progress line every this many ms: a terminal redraw per network chunk is too many. */
const PROGRESS_EVERY_MS = 100;

/** `\r`-rewritten progress on a terminal; nothing when stderr is a pipe or a file (logs stay clean). */
function terminalProgress(): { report(p: ProgressSnapshot): void; done(): void } {
  if (!process.stderr.isTTY) return { report: () => undefined, done: () => undefined };
  let last = 0;
  let shown = false;
  return {
    report(p) {
      const now = Date.now();
      if (now - last < PROGRESS_EVERY_MS && p.doneBytes < p.totalBytes) return;
      last = now;
      shown = true;
      const line = `${p.file}: ${describeProgress(p)}`;
      process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1).padEnd((process.stderr.columns || 100) - 1)}`);
    },
    done() {
      if (shown) process.stderr.write('\n');
    },
  };
}

async function download(repoText: string, revision: string | undefined, dtype: DtypeChoice): Promise<DownloadResult> {
  const ref = parseRepoRef(repoText, revision);
  const progress = terminalProgress();
  try {
    return await downloadModel(hubEnvironment(), { ...ref, dtype, onProgress: (p) => progress.report(p) });
  } finally {
    progress.done();
  }
}

export async function downloadCommand(args: readonly string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { revision: { type: 'string' }, dtype: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new ModelError('download needs one repository, e.g. tealeaf download Xenova/gpt2');
  const result = await download(positionals[0] as string, values.revision, values.dtype === undefined ? 'auto' : parseDtype(values.dtype));
  if (values.json) {
    // Key order as documented: {"repo","revision","commit","dtype","path","files","downloadedBytes","ms"}.
    const { repo, revision, commit, dtype, path, files, downloadedBytes, ms } = result;
    process.stdout.write(`${JSON.stringify({ repo, revision, commit, dtype, path, files, downloadedBytes, ms })}\n`);
    return;
  }
  const fetched = result.downloadedBytes > 0 ? `downloaded ${formatBytes(result.downloadedBytes)}` : 'already in the cache';
  process.stdout.write(`${result.repo}@${result.revision} (${result.commit.slice(0, 12)}), ${result.dtype}: ${result.files.length} files, ${fetched}\n${result.path}\n`);
}

export async function modelsCommand(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...args], options: { json: { type: 'boolean' } } });
  const env = hubEnvironment();
  const models = await listCachedModels(env.cacheDir);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ cacheDir: env.cacheDir, models })}\n`);
    return;
  }
  if (models.length === 0) {
    process.stdout.write(`no models in ${env.cacheDir}\n`);
    return;
  }
  for (const m of models) {
    const refs = m.refs.length > 0 ? ` (${m.refs.join(', ')})` : '';
    const dtypes = m.dtypes.length > 0 ? m.dtypes.join(', ') : 'no complete ONNX files';
    process.stdout.write(`${m.repo}@${m.commit.slice(0, 12)}${refs}  ${formatBytes(m.bytes)}  ${dtypes}\n  ${m.path}\n`);
  }
}

/** The value of `--name V` or `--name=V` in raw arguments. */
function optionValue(args: readonly string[], name: string): { index: number; value: string; inline: boolean } | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg === `--${name}` && index + 1 < args.length) return { index, value: args[index + 1] as string, inline: false };
    if (arg.startsWith(`--${name}=`)) return { index, value: arg.slice(name.length + 3), inline: true };
  }
  return undefined;
}

/** The snapshot folder for `owner/name[@revision]`: from the cache, or downloaded when allowed. */
export async function resolveHubModel(text: string, dtype: DtypeChoice, allowDownload: boolean): Promise<string> {
  const ref = parseRepoRef(text);
  if (allowDownload) return (await download(text, undefined, dtype)).path;
  const env = hubEnvironment();
  const snapshot = await findSnapshot(env.cacheDir, ref.repo, ref.revision);
  const hint = `run "tealeaf download ${text}${dtype === 'auto' ? '' : ` --dtype ${dtype}`}" or add --download`;
  if (!snapshot) throw new ModelError(`${ref.repo}@${ref.revision} is not in the cache ${env.cacheDir}: ${hint}`);
  try {
    await cachedModelFiles(snapshot.path, dtype);
  } catch (error) {
    throw new ModelError(`${ref.repo}@${ref.revision} in the cache is incomplete (${errorText(error)}): ${hint}`);
  }
  return snapshot.path;
}

/**
 * Rewrites `--model owner/name[@rev]` into the snapshot folder and drops `--download`, before a
 * command parses its arguments: every command that takes `--model DIR` accepts a repository.
 */
export async function resolveHubModelArgs(args: readonly string[]): Promise<string[]> {
  const out = args.filter((a) => a !== '--download');
  const model = optionValue(out, 'model');
  if (!model || !looksLikeRepoRef(model.value, existsSync)) return out;
  const dtypeText = optionValue(out, 'dtype')?.value;
  const dir = await resolveHubModel(model.value, dtypeText === undefined ? 'auto' : parseDtype(dtypeText), out.length !== args.length);
  if (model.inline) out[model.index] = `--model=${dir}`;
  else out[model.index + 1] = dir;
  return out;
}
