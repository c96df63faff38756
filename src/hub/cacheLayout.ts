// The Hugging Face cache layout shared with Python and the other Hub clients:
//   {cacheDir}/models--{owner}--{name}/blobs/{sha256 or git sha1}
//                                     /snapshots/{commit}/{path} -> ../../blobs/{etag} (relative symlinks)
//                                     /refs/{revision} (holds the commit)
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { HubError } from './errors';
import { isCommitHash } from './repoId';

export function repoFolder(cacheDir: string, repo: string): string {
  return path.join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

export function blobPath(cacheDir: string, repo: string, etag: string): string {
  if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(etag)) throw new HubError(`the Hub named a file ${JSON.stringify(etag)}, which is not a git or SHA-256 hash`);
  return path.join(repoFolder(cacheDir, repo), 'blobs', etag);
}

export function snapshotDir(cacheDir: string, repo: string, commit: string): string {
  if (!isCommitHash(commit)) throw new HubError(`${JSON.stringify(commit)} is not a commit hash`);
  return path.join(repoFolder(cacheDir, repo), 'snapshots', commit);
}

function refFile(cacheDir: string, repo: string, revision: string): string {
  return path.join(repoFolder(cacheDir, repo), 'refs', ...revision.split('/'));
}

/** The commit a revision points to in the cache: itself when it is a commit, else `refs/{revision}`. */
export async function readRef(cacheDir: string, repo: string, revision: string): Promise<string | undefined> {
  if (isCommitHash(revision)) return revision;
  try {
    const commit = (await fs.readFile(refFile(cacheDir, repo, revision), 'utf8')).trim();
    return isCommitHash(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Pins a revision to a commit, as Python does (the hash, no newline). */
export async function writeRef(cacheDir: string, repo: string, revision: string, commit: string): Promise<void> {
  if (isCommitHash(revision)) return;
  const file = refFile(cacheDir, repo, revision);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, commit);
}

/** `snapshots/{commit}/{relativePath}` as a relative symlink into `blobs/`, replacing what was there. */
export async function linkSnapshotFile(cacheDir: string, repo: string, commit: string, relativePath: string, etag: string): Promise<void> {
  const pointer = path.join(snapshotDir(cacheDir, repo, commit), ...relativePath.split('/'));
  await fs.mkdir(path.dirname(pointer), { recursive: true });
  await fs.rm(pointer, { force: true });
  await fs.symlink(path.relative(path.dirname(pointer), blobPath(cacheDir, repo, etag)), pointer);
}

export async function pathExists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}
