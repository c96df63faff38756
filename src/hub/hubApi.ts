// The Hub requests a download needs: the commit a revision points to and the repository's files
// (through @huggingface/hub's modelInfo and listFiles), and each file's metadata from its
// `resolve` URL (our own HEAD, as Python's huggingface_hub does it, because the headers that pin
// the commit and the checksum are on the Hub's answer before the redirect to the file host).
import type * as http from 'node:http';
import { HubApiError, listFiles, modelInfo, whoAmI } from '@huggingface/hub';
import type { HubEnvironment } from './environment';
import { HubAuthError, HubError } from './errors';
import { httpRequest, type Transport, transportFetch } from './http';

export function transportOf(env: HubEnvironment): Transport {
  return {
    noProxy: env.noProxy,
    ...(env.proxy ? { proxy: env.proxy } : {}),
    ...(env.token ? { token: { value: env.token, origin: new URL(env.endpoint).origin } } : {}),
  };
}

/** One sentence for a refused Hub request, from its status and the Hub's `X-Error-Code`. */
export function hubErrorFor(status: number, errorCode: string | undefined, repo: string, revision: string, env: HubEnvironment, file?: string): HubError {
  const signIn = 'run "Tealeaf: Sign In to Hugging Face…" or set HF_TOKEN';
  if (errorCode === 'GatedRepo' || (status === 403 && errorCode !== 'RepoNotFound')) {
    return new HubAuthError(
      env.token
        ? `${repo} is gated and your token has no access to it: accept its terms at ${env.endpoint}/${repo}`
        : `${repo} is gated: accept its terms at ${env.endpoint}/${repo}, then ${signIn}`,
    );
  }
  if (errorCode === 'RevisionNotFound') return new HubError(`${repo} has no revision "${revision}"`);
  if (errorCode === 'EntryNotFound' && file) return new HubError(`${repo}@${revision} has no file ${file}`);
  if (status === 401) {
    return new HubAuthError(
      env.token ? `the Hub refused the token for ${repo}: sign in again with a valid token` : `${repo} was not found on ${env.endpoint}, or it is private: check the name, or ${signIn}`,
    );
  }
  if (status === 404) return new HubError(`${repo} was not found on ${env.endpoint}`);
  if (status === 429) return new HubError(`${env.endpoint} is rate-limiting requests: try again in a minute`);
  return new HubError(`${env.endpoint} answered HTTP ${status} for ${repo}${file ? `/${file}` : ''}`);
}

/** Runs a library call over our transport, turning its HubApiError into one of ours (with the Hub's X-Error-Code). */
async function viaLibrary<T>(env: HubEnvironment, repo: string, revision: string, call: (fetch: typeof globalThis.fetch) => Promise<T>): Promise<T> {
  const base = transportFetch(transportOf(env));
  let errorCode: string | undefined;
  const recording = (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await base(input, init);
    if (!response.ok) errorCode = response.headers.get('x-error-code') ?? undefined;
    return response;
  }) as typeof fetch;
  try {
    return await call(recording);
  } catch (error) {
    if (error instanceof HubApiError) throw hubErrorFor(error.statusCode, errorCode, repo, revision, env);
    throw error;
  }
}

export interface RepoRevision {
  /** The commit the revision points to now. */
  readonly commit: string;
  readonly gated: boolean;
}

export async function resolveRevision(env: HubEnvironment, repo: string, revision: string): Promise<RepoRevision> {
  const info = await viaLibrary(env, repo, revision, (fetch) => modelInfo({ name: repo, revision, hubUrl: env.endpoint, fetch, additionalFields: ['sha'] }));
  if (!info.sha || !/^[0-9a-f]{40}$/.test(info.sha)) throw new HubError(`${env.endpoint} did not say which commit ${repo}@${revision} is`);
  return { commit: info.sha, gated: Boolean(info.gated) };
}

export interface RepoFile {
  readonly path: string;
  readonly size: number;
}

/** Every file of the repository at a commit, with its size (the tree API, recursive). */
export async function listRepoFiles(env: HubEnvironment, repo: string, commit: string): Promise<RepoFile[]> {
  return viaLibrary(env, repo, commit, async (fetch) => {
    const files: RepoFile[] = [];
    for await (const entry of listFiles({ repo: { type: 'model', name: repo }, revision: commit, recursive: true, hubUrl: env.endpoint, fetch })) {
      if (entry.type === 'file') files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size });
    }
    return files;
  });
}

export interface FileMetadata {
  /** From `X-Repo-Commit`. */
  readonly commit: string;
  /** SHA-256 of an LFS file (`X-Linked-Etag`), else the git blob id (`ETag`); the blob's name in the cache. */
  readonly etag: string;
  readonly lfs: boolean;
  readonly size: number;
  /** Where the bytes are: the file host the Hub redirects to, or the resolve URL itself. */
  readonly location: string;
}

function header(response: http.IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `W/"abc"` → `abc` */
function normalizeEtag(value: string | undefined): string | undefined {
  return value?.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;
}

export function resolveUrl(env: HubEnvironment, repo: string, revision: string, file: string): string {
  return `${env.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

/** HEAD on the resolve URL, following only same-host redirects (a renamed repository), never the one to the file host. */
export async function fileMetadata(env: HubEnvironment, repo: string, commit: string, file: string, signal?: AbortSignal): Promise<FileMetadata> {
  const transport = transportOf(env);
  let url = resolveUrl(env, repo, commit, file);
  for (let hop = 0; hop < 5; hop++) {
    const response = await httpRequest({ url, method: 'HEAD', headers: { 'Accept-Encoding': 'identity' }, ...(signal ? { signal } : {}) }, transport);
    response.resume();
    const status = response.statusCode ?? 0;
    const location = header(response, 'location');
    if (status >= 300 && status < 400 && location && new URL(location, url).origin === new URL(url).origin && !header(response, 'x-repo-commit')) {
      url = new URL(location, url).href;
      continue;
    }
    if (status >= 400) throw hubErrorFor(status, header(response, 'x-error-code'), repo, commit, env, file);
    const linked = normalizeEtag(header(response, 'x-linked-etag'));
    const etag = linked ?? normalizeEtag(header(response, 'etag'));
    const size = Number(header(response, 'x-linked-size') ?? header(response, 'content-length'));
    const repoCommit = header(response, 'x-repo-commit');
    if (!etag || !Number.isFinite(size) || !repoCommit) throw new HubError(`${env.endpoint} answered for ${repo}/${file} without the commit, ETag or size headers of the Hub protocol`);
    return { commit: repoCommit, etag, lfs: linked !== undefined, size, location: status >= 300 && location ? new URL(location, url).href : url };
  }
  throw new HubError(`${env.endpoint} redirected ${repo}/${file} too many times`);
}

/** The account a token belongs to (the Hub's whoami), or a HubError when the Hub refuses it. */
export async function checkToken(env: HubEnvironment, token: string): Promise<string> {
  // This one call carries the token being checked, not the stored one.
  const fetch = transportFetch({ ...transportOf({ ...env, token: undefined }) });
  try {
    return (await whoAmI({ accessToken: token, hubUrl: env.endpoint, fetch })).name;
  } catch (error) {
    if (error instanceof HubApiError) throw new HubAuthError(error.statusCode === 401 ? `${env.endpoint} does not know this token` : `${env.endpoint} answered HTTP ${error.statusCode}`);
    throw error;
  }
}
