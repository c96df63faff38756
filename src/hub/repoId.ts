// Model references as users type them: `owner/name` or `owner/name@revision`.
import { HubError } from './errors';

export interface RepoRef {
  /** `owner/name` */
  readonly repo: string;
  /** Branch, tag or commit; `main` when none was given. */
  readonly revision: string;
}

export const DEFAULT_REVISION = 'main';

/** Hub repository names: letters, digits, `-`, `_`, `.`; no `--` or `..` (the Hub refuses both). */
const NAME_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;

export function isRepoName(value: string): boolean {
  const parts = value.split('/');
  return parts.length === 2 && parts.every((p) => NAME_PART.test(p) && !p.includes('--') && !p.includes('..'));
}

/** A revision is a branch, tag or commit name; path separators are allowed (branches such as `refs/pr/1`) but never `..`. */
export function isRevision(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(value) && !value.split('/').includes('..');
}

/** Parses `owner/name[@revision]`, or says in one sentence what is wrong. */
export function parseRepoRef(text: string, revision?: string): RepoRef {
  const at = text.indexOf('@');
  const repo = at < 0 ? text : text.slice(0, at);
  const rev = at < 0 ? (revision ?? DEFAULT_REVISION) : text.slice(at + 1);
  if (!isRepoName(repo)) throw new HubError(`"${repo}" is not a Hub model name: use owner/name, e.g. Xenova/gpt2`);
  if (!isRevision(rev)) throw new HubError(`"${rev}" is not a revision: use a branch, a tag or a commit`);
  if (at >= 0 && revision !== undefined && revision !== rev) throw new HubError(`two revisions given for ${repo}: ${rev} and ${revision}`);
  return { repo, revision: rev };
}

/** Whether a `--model` value means a Hub repository rather than a folder: `owner/name[@rev]` that is not a path on disk. */
export function looksLikeRepoRef(value: string, existsOnDisk: (path: string) => boolean): boolean {
  if (existsOnDisk(value) || value.startsWith('.') || value.startsWith('/') || value.startsWith('~')) return false;
  const at = value.indexOf('@');
  return isRepoName(at < 0 ? value : value.slice(0, at));
}

/** A 40-hex git commit id. */
export function isCommitHash(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}
