// `owner/name@revision` + dtype → a snapshot folder the engine loads. Resolves the revision to a
// commit once and pins it (refs/), fetches only the files the dtype needs and only those not yet
// in the cache (Python's downloads count), checks free space first, and links the snapshot only
// after every blob is verified, so a cancel or a failure never leaves a loadable partial model.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Dtype, DtypeChoice } from '../engine/dtype';
import { throwIfAborted } from '../engine/errors';
import { downloadBlob } from './blobDownload';
import { blobPath, linkSnapshotFile, pathExists, snapshotDir, writeRef } from './cacheLayout';
import { cachedModelFiles, offlineSnapshot } from './cachedModels';
import type { HubEnvironment } from './environment';
import { HubError } from './errors';
import { type FileMetadata, fileMetadata, listRepoFiles, resolveRevision, transportOf } from './hubApi';
import { formatBytes, ProgressMeter, type ProgressSnapshot } from './progress';
import { planFiles } from './filePlan';

export interface DownloadRequest {
  readonly repo: string;
  readonly revision: string;
  readonly dtype: DtypeChoice;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ProgressSnapshot) => void;
  /** Once the files to fetch are known (before any byte): how many and how large. */
  readonly onPlan?: (plan: { readonly files: number; readonly bytes: number }) => void;
}

export interface DownloadedFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The CLI's `--json` answer, as the issue pins it. */
export interface DownloadResult {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  readonly dtype: Dtype;
  /** The snapshot folder: point a model setting or `--model` at it. */
  readonly path: string;
  readonly files: readonly DownloadedFile[];
  /** Bytes fetched over the network in this run (0 when the cache had everything). */
  readonly downloadedBytes: number;
  readonly ms: number;
}

/** SHA-256 of a file in the cache: an LFS blob is named by it, other (small) blobs are hashed. */
export async function sha256Of(file: string): Promise<string> {
  const real = await fs.realpath(file);
  const name = path.basename(real);
  if (/^[0-9a-f]{64}$/.test(name)) return name;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(real)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Files of the snapshot with their sizes and SHA-256, in plan order. */
async function describeFiles(snapshot: string, paths: readonly string[]): Promise<DownloadedFile[]> {
  const files: DownloadedFile[] = [];
  for (const p of paths) {
    const file = path.join(snapshot, ...p.split('/'));
    files.push({ path: p, bytes: (await fs.stat(file)).size, sha256: await sha256Of(file) });
  }
  return files;
}

/** The nearest existing folder at or above `dir` (statfs needs one). */
async function existingAncestor(dir: string): Promise<string> {
  let current = dir;
  while (!(await pathExists(current)) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

async function checkFreeSpace(cacheDir: string, needed: number, repo: string): Promise<void> {
  const stats = await fs.statfs(await existingAncestor(cacheDir));
  const free = stats.bavail * stats.bsize;
  if (free < needed) throw new HubError(`${repo} needs ${formatBytes(needed)} more in ${cacheDir}, which has ${formatBytes(free)} free: free some space or set tealeaf.hub.cacheDir`);
}

export async function downloadModel(env: HubEnvironment, request: DownloadRequest): Promise<DownloadResult> {
  const started = Date.now();
  const { repo, revision, signal } = request;
  if (env.offline) {
    const cached = await offlineSnapshot(env, repo, revision, request.dtype);
    return { repo, revision, commit: cached.commit, dtype: cached.dtype, path: cached.path, files: await describeFiles(cached.path, cached.paths), downloadedBytes: 0, ms: Date.now() - started };
  }
  const { commit } = await resolveRevision(env, repo, revision);
  throwIfAborted(signal);
  const plan = await planFiles(repo, await listRepoFiles(env, repo, commit), request.dtype);
  const snapshot = snapshotDir(env.cacheDir, repo, commit);

  // A commit never changes: a file already in its snapshot (ours or Python's) is not asked for again.
  const wanted: { path: string; metadata: FileMetadata }[] = [];
  for (const file of plan.files) {
    if (await pathExists(path.join(snapshot, ...file.path.split('/')))) continue;
    throwIfAborted(signal);
    const metadata = await fileMetadata(env, repo, commit, file.path, signal);
    if (metadata.commit !== commit) throw new HubError(`${repo} moved from ${commit} to ${metadata.commit} during the download: run it again`);
    wanted.push({ path: file.path, metadata });
  }
  const toFetch = [];
  for (const file of wanted) if (!(await pathExists(blobPath(env.cacheDir, repo, file.metadata.etag)))) toFetch.push(file);
  const bytes = toFetch.reduce((sum, f) => sum + f.metadata.size, 0);
  let partial = 0;
  for (const f of toFetch) partial += (await fs.stat(`${blobPath(env.cacheDir, repo, f.metadata.etag)}.incomplete`).catch(() => ({ size: 0 }))).size;
  await checkFreeSpace(env.cacheDir, bytes - partial, repo);
  request.onPlan?.({ files: toFetch.length, bytes });

  const meter = new ProgressMeter(bytes);
  meter.add(partial, toFetch[0]?.path ?? '');
  let downloadedBytes = 0;
  const transport = transportOf(env);
  for (const file of toFetch) {
    throwIfAborted(signal);
    const result = await downloadBlob({
      metadata: file.metadata,
      blob: blobPath(env.cacheDir, repo, file.metadata.etag),
      file: file.path,
      transport,
      ...(signal ? { signal } : {}),
      onBytes: (n) => request.onProgress?.(meter.add(n, file.path)),
    });
    downloadedBytes += result.fetched;
  }
  throwIfAborted(signal);
  // Every blob is verified: only now does the snapshot (what a loader opens) gain the files, and the revision its pin.
  for (const file of wanted) await linkSnapshotFile(env.cacheDir, repo, commit, file.path, file.metadata.etag);
  await writeRef(env.cacheDir, repo, revision, commit);
  // The snapshot must now load with this dtype, exactly as the engine will open it.
  const loadable = await cachedModelFiles(snapshot, plan.dtype);
  return {
    repo,
    revision,
    commit,
    dtype: plan.dtype,
    path: snapshot,
    files: await describeFiles(snapshot, loadable.paths),
    downloadedBytes,
    ms: Date.now() - started,
  };
}
