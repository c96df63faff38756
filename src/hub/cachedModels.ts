// What the cache holds: resolving `owner/name@revision` without the network, listing every cached
// model with its dtype files, and deleting one repository's folder (and nothing outside the cache).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { type Dtype, type DtypeChoice, DTYPES } from '../engine/dtype';
import { ModelError } from '../engine/errors';
import { chooseDtypeFiles, listDtypeFiles, onnxRoles, ONNX_BASES } from '../engine/modelFolder';
import { NodeModelFiles } from '../host/nodeModelFiles';
import { pathExists, readRef, repoFolder, snapshotDir } from './cacheLayout';
import type { HubEnvironment } from './environment';
import { HubError } from './errors';
import { OPTIONAL_JSON, REQUIRED_JSON } from './filePlan';

export interface CachedSnapshot {
  readonly commit: string;
  readonly path: string;
}

/** The snapshot a revision points to in the cache, or undefined. */
export async function findSnapshot(cacheDir: string, repo: string, revision: string): Promise<CachedSnapshot | undefined> {
  const commit = await readRef(cacheDir, repo, revision);
  if (!commit) return undefined;
  const dir = snapshotDir(cacheDir, repo, commit);
  return (await pathExists(dir)) ? { commit, path: dir } : undefined;
}

/** The files the engine opens for a dtype in a snapshot (JSON + graphs + external data), or a ModelError. */
export async function cachedModelFiles(snapshot: string, dtype: DtypeChoice): Promise<{ dtype: Dtype; paths: string[] }> {
  const files = await NodeModelFiles.open(snapshot);
  const roles = onnxRoles((await hasAnyEncoder(snapshot)) ? 'encoder-decoder' : 'decoder');
  const chosen = await chooseDtypeFiles(files, roles, dtype, 'wasm');
  const entries = (await listDtypeFiles(files, roles)).find((p) => p.dtype === chosen.file.dtype)?.entries ?? [];
  const json: string[] = [];
  for (const p of [...REQUIRED_JSON, ...OPTIONAL_JSON]) if (await files.exists(p)) json.push(p);
  for (const p of REQUIRED_JSON) if (!json.includes(p)) throw new ModelError(`${snapshot} has no ${p}`);
  return { dtype: chosen.file.dtype, paths: [...json, ...entries.map((e) => e.path)] };
}

async function hasAnyEncoder(snapshot: string): Promise<boolean> {
  const names = await fs.readdir(path.join(snapshot, 'onnx')).catch(() => [] as string[]);
  return names.some((n) => n.startsWith(ONNX_BASES.encoder[0]));
}

export function offlineMessage(env: HubEnvironment, repo: string, revision: string, why: string): string {
  return `offline (HF_HUB_OFFLINE or tealeaf.hub.offline) and ${repo}@${revision} ${why} in the cache ${env.cacheDir}: go online once to download it`;
}

/** Offline: the cached snapshot of a revision, with the dtype's files all present. */
export async function offlineSnapshot(env: HubEnvironment, repo: string, revision: string, dtype: DtypeChoice): Promise<CachedSnapshot & { dtype: Dtype; paths: string[] }> {
  const snapshot = await findSnapshot(env.cacheDir, repo, revision);
  if (!snapshot) throw new HubError(offlineMessage(env, repo, revision, 'is not'));
  try {
    return { ...snapshot, ...(await cachedModelFiles(snapshot.path, dtype)) };
  } catch (error) {
    if (error instanceof ModelError) throw new HubError(offlineMessage(env, repo, revision, `has no complete ${dtype === 'auto' ? 'model' : `${dtype} model`}`));
    throw error;
  }
}

export interface CachedModel {
  /** `owner/name` */
  readonly repo: string;
  readonly commit: string;
  /** Branches and tags pinned to this commit (`refs/`). */
  readonly refs: readonly string[];
  readonly path: string;
  /** Bytes of the files in this snapshot (blobs shared with other snapshots count in each). */
  readonly bytes: number;
  /** dtypes with every graph (and its external data) present. */
  readonly dtypes: readonly Dtype[];
  readonly kind: 'decoder' | 'encoder-decoder';
}

/** Bytes of every file of a folder (a snapshot), subfolders included, each blob once. */
export async function folderBytes(snapshot: string): Promise<number> {
  const blobs = new Set<string>();
  let total = 0;
  for (const entry of await fs.readdir(snapshot, { withFileTypes: true, recursive: true })) {
    if (entry.isDirectory()) continue;
    const real = await fs.realpath(path.join(entry.parentPath, entry.name)).catch(() => undefined);
    if (!real || blobs.has(real)) continue;
    blobs.add(real);
    total += (await fs.stat(real)).size;
  }
  return total;
}

/** Every model snapshot in the cache (datasets and spaces are skipped). */
export async function listCachedModels(cacheDir: string): Promise<CachedModel[]> {
  if (!(await pathExists(cacheDir))) return [];
  const scan = await scanCacheDir(cacheDir);
  const models: CachedModel[] = [];
  for (const cached of scan.repos) {
    if (cached.id.type !== 'model') continue;
    for (const revision of cached.revisions) {
      let dtypes: Dtype[] = [];
      let kind: CachedModel['kind'] = 'decoder';
      try {
        const files = await NodeModelFiles.open(revision.path);
        kind = (await hasAnyEncoder(revision.path)) ? 'encoder-decoder' : 'decoder';
        dtypes = (await listDtypeFiles(files, onnxRoles(kind))).map((p) => p.dtype);
      } catch {
        dtypes = [];
      }
      models.push({
        repo: cached.id.name,
        commit: revision.commitOid,
        refs: [...revision.refs].sort(),
        path: revision.path,
        // Not revision.size: @huggingface/hub's scan skips snapshot subfolders, so it misses every onnx/ file.
        bytes: await folderBytes(revision.path),
        dtypes: DTYPES.filter((d) => dtypes.includes(d)),
        kind,
      });
    }
  }
  return models.sort((a, b) => a.repo.localeCompare(b.repo) || a.commit.localeCompare(b.commit));
}

/** Deletes one repository's folder from the cache: its blobs, snapshots and refs, nothing else. */
export async function deleteCachedRepo(cacheDir: string, repo: string): Promise<void> {
  const folder = repoFolder(cacheDir, repo);
  const root = await fs.realpath(cacheDir);
  const real = await fs.realpath(folder).catch(() => undefined);
  if (!real) throw new HubError(`${repo} is not in the cache ${cacheDir}`);
  if (path.dirname(real) !== root || !path.basename(real).startsWith('models--')) throw new HubError(`refused to delete ${folder}: it is not a model folder of the cache ${cacheDir}`);
  await fs.rm(real, { recursive: true });
}
