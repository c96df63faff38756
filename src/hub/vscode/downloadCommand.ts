// "Tealeaf: Download Model…": a repository (catalog or any owner/name[@revision]), a dtype with its
// size, the jobs it serves; then the download in a cancellable notification, and the jobs' settings.
import * as vscode from 'vscode';
import { AUTO_ORDER, type Dtype, DTYPE_SUFFIXES } from '../../engine/dtype';
import { isAbortError } from '../../engine/errors';
import type { ModelRole } from '../../models/types';
import { CATALOG, type CatalogEntry } from '../catalog';
import { downloadModel, type DownloadResult } from '../downloadModel';
import type { HubEnvironment } from '../environment';
import { HubAuthError } from '../errors';
import { dtypeSizes, planFiles } from '../filePlan';
import { listRepoFiles, type RepoFile, resolveRevision } from '../hubApi';
import { describeProgress, formatBytes } from '../progress';
import { parseRepoRef, type RepoRef } from '../repoId';
import { ROLE_LABELS, useModelFor } from './modelSettings';
import { errorText } from '../../util/unknown';
import { COMMANDS } from '../../commands';

interface RepoItem extends vscode.QuickPickItem {
  readonly entry?: CatalogEntry;
}

/** The repository listing at the revision's commit, fetched once per pick. */
interface RepoListing {
  readonly ref: RepoRef;
  readonly files: readonly RepoFile[];
}

async function fetchListing(env: HubEnvironment, ref: RepoRef): Promise<RepoListing> {
  const { commit } = await resolveRevision(env, ref.repo, ref.revision);
  return { ref, files: await listRepoFiles(env, ref.repo, commit) };
}

function sizesLine(sizes: readonly { dtype: Dtype; bytes: number }[]): string {
  return sizes.length > 0 ? sizes.map((s) => `${s.dtype} ${formatBytes(s.bytes)}`).join(' · ') : 'no ONNX files in the transformers.js layout';
}

/** Step 1: the catalog (sizes per dtype filled in as the Hub answers) or "Other repository…". */
async function pickRepository(env: HubEnvironment): Promise<{ ref: RepoRef; entry?: CatalogEntry } | undefined> {
  const other: RepoItem = { label: '$(search) Other repository…', detail: 'Any owner/name on the Hub, optionally @revision (a branch, tag or commit)' };
  const pick = vscode.window.createQuickPick<RepoItem>();
  pick.title = 'Tealeaf: Download Model (1/3): repository';
  pick.placeholder = 'A transformers.js export from the Hugging Face Hub';
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  const itemFor = (entry: CatalogEntry, sizes: string): RepoItem => ({
    label: entry.repo,
    description: `${entry.jobs.map((j) => ROLE_LABELS[j]).join(', ')} · ${entry.licence}`,
    detail: `${entry.note} ${sizes}`,
    entry,
  });
  const items = CATALOG.map((entry) => itemFor(entry, '(sizes: asking the Hub…)'));
  pick.items = [...items, other];
  pick.busy = true;
  let open = true;
  void Promise.all(
    CATALOG.map(async (entry, i) => {
      let sizes: string;
      try {
        sizes = sizesLine(await dtypeSizes(entry.repo, (await fetchListing(env, { repo: entry.repo, revision: 'main' })).files));
      } catch (error) {
        sizes = `(sizes unavailable: ${errorText(error)})`;
      }
      items[i] = itemFor(entry, sizes);
      if (!open) return;
      const active = pick.activeItems[0]?.label;
      pick.items = [...items, other];
      const keep = pick.items.find((item) => item.label === active);
      if (keep) pick.activeItems = [keep];
    }),
  ).finally(() => (pick.busy = false));
  const chosen = await new Promise<RepoItem | undefined>((resolve) => {
    // Enter can land while the Hub's sizes replace the items: the selection is then empty for a
    // moment, so the active row counts; an Enter on no row at all leaves the pick open.
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0] ?? pick.activeItems[0];
      if (item) resolve(item);
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  open = false;
  pick.dispose();
  if (!chosen) return undefined;
  if (chosen.entry) return { ref: { repo: chosen.entry.repo, revision: 'main' }, entry: chosen.entry };
  const typed = await vscode.window.showInputBox({
    title: 'Tealeaf: Download Model: repository',
    prompt: 'owner/name, optionally @revision',
    placeHolder: 'onnx-community/Qwen2.5-Coder-1.5B-Instruct',
    validateInput: (value) => {
      try {
        parseRepoRef(value.trim());
        return undefined;
      } catch (error) {
        return errorText(error);
      }
    },
  });
  return typed ? { ref: parseRepoRef(typed.trim()) } : undefined;
}

interface DtypeItem extends vscode.QuickPickItem {
  readonly dtype: Dtype;
}

/** Step 2: the dtypes the repository offers, the one `auto` would load first. */
async function pickDtype(listing: RepoListing): Promise<{ dtype: Dtype; kind: 'decoder' | 'encoder-decoder' } | undefined> {
  const sizes = await dtypeSizes(listing.ref.repo, listing.files);
  const plan = await planFiles(listing.ref.repo, listing.files, 'auto'); // throws the "no ONNX files" sentence
  const items: DtypeItem[] = sizes
    .sort((a, b) => AUTO_ORDER.wasm.indexOf(a.dtype) - AUTO_ORDER.wasm.indexOf(b.dtype))
    .sort((a, b) => Number(b.dtype === plan.dtype) - Number(a.dtype === plan.dtype))
    .map((s) => ({
      label: s.dtype,
      description: `${formatBytes(s.bytes)}${s.dtype === plan.dtype ? ' · what auto loads: the fastest on WebAssembly that fits' : ''}`,
      detail: `onnx/…${DTYPE_SUFFIXES[s.dtype]}.onnx`,
      dtype: s.dtype,
    }));
  const chosen = await vscode.window.showQuickPick(items, { title: `Tealeaf: Download Model (2/3): weights of ${listing.ref.repo}`, placeHolder: 'Weight type (dtype)' });
  return chosen ? { dtype: chosen.dtype, kind: plan.kind } : undefined;
}

interface RoleItem extends vscode.QuickPickItem {
  readonly role: ModelRole;
}

/** Step 3: the jobs that will use it (none: download only). */
async function pickRoles(kind: 'decoder' | 'encoder-decoder', suggested: readonly ModelRole[] | undefined): Promise<ModelRole[] | undefined> {
  const roles: ModelRole[] = kind === 'encoder-decoder' ? ['translation'] : ['completion', 'inspector'];
  const preselected = suggested ?? [roles[0] as ModelRole];
  const items: RoleItem[] = roles.map((role) => ({ label: ROLE_LABELS[role], role, picked: preselected.includes(role) }));
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Tealeaf: Download Model (3/3): use it for',
    placeHolder: 'Jobs that load it once downloaded (none: only download)',
    canPickMany: true,
  });
  return chosen?.map((item) => item.role);
}

/** The download in a cancellable notification: bytes, rate and time left. */
async function downloadWithProgress(env: HubEnvironment, ref: RepoRef, dtype: Dtype): Promise<DownloadResult | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Downloading ${ref.repo} (${dtype})`, cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      let lastMessage = 0;
      try {
        return await downloadModel(env, {
          ...ref,
          dtype,
          signal: controller.signal,
          onPlan: (plan) => progress.report({ message: plan.files > 0 ? `${plan.files} files, ${formatBytes(plan.bytes)}` : 'already in the cache' }),
          onProgress: (p) => {
            const percent = p.totalBytes > 0 ? (100 * p.doneBytes) / p.totalBytes : 100;
            const now = Date.now();
            if (now - lastMessage < 250 && p.doneBytes < p.totalBytes) return;
            lastMessage = now;
            progress.report({ message: `${p.file}: ${describeProgress(p)}`, increment: percent - reported });
            reported = percent;
          },
        });
      } catch (error) {
        if (isAbortError(error) || controller.signal.aborted) return undefined;
        throw error;
      }
    },
  );
}

export async function downloadModelCommand(env: HubEnvironment, log: vscode.LogOutputChannel): Promise<DownloadResult | undefined> {
  if (env.offline) {
    void vscode.window.showErrorMessage('Tealeaf: offline mode is on (tealeaf.hub.offline or HF_HUB_OFFLINE): turn it off to download models.');
    return undefined;
  }
  try {
    const repository = await pickRepository(env);
    if (!repository) return undefined;
    const listing = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Asking the Hub about ${repository.ref.repo}…` }, () =>
      fetchListing(env, repository.ref),
    );
    const choice = await pickDtype(listing);
    if (!choice) return undefined;
    const roles = await pickRoles(choice.kind, repository.entry?.jobs);
    if (!roles) return undefined;
    const result = await downloadWithProgress(env, repository.ref, choice.dtype);
    if (!result) {
      void vscode.window.showInformationMessage(`Tealeaf: the download of ${repository.ref.repo} was cancelled; nothing partial can be loaded, and the next download resumes it.`);
      return undefined;
    }
    log.info(`downloaded ${result.repo}@${result.revision} (${result.commit}) ${result.dtype}: ${formatBytes(result.downloadedBytes)} in ${result.ms} ms into ${result.path}`);
    await useModelFor(roles, result.path, result.dtype);
    const used = roles.length > 0 ? ` Used for: ${roles.map((r) => ROLE_LABELS[r].toLowerCase()).join(', ')}.` : '';
    void vscode.window.showInformationMessage(`Tealeaf: ${result.repo} (${result.dtype}) is ready.${used}`);
    return result;
  } catch (error) {
    const message = errorText(error);
    log.error(`download: ${message}`);
    if (error instanceof HubAuthError) {
      const signIn = 'Sign In…';
      if ((await vscode.window.showErrorMessage(`Tealeaf: ${message}`, signIn)) === signIn) await vscode.commands.executeCommand(COMMANDS.signInHuggingFace);
    } else {
      void vscode.window.showErrorMessage(`Tealeaf: ${message}`);
    }
    return undefined;
  }
}
