// A local stand-in for the Hugging Face Hub, started and stopped by the tests, that answers the
// requests Tealeaf's client makes the way huggingface.co does:
//   GET  /api/models/{repo}/revision/{rev}          model info (`sha`, `gated`, siblings)
//   GET  /api/models/{repo}/tree/{rev}?recursive=…  the file listing (size, oid, lfs {oid, size})
//   HEAD|GET /{repo}/resolve/{rev}/{path}            X-Repo-Commit and ETag (git blob id); LFS files
//        answer 302 to a separate file host with X-Linked-Etag (SHA-256) and X-Linked-Size
//   GET  {file host}/{sha256}                        the bytes, honouring Range (206 + Content-Range)
// Errors as the Hub sends them: 401 RepoNotFound for an unknown repository without a token (the
// Hub does not tell private from missing), 404 RepoNotFound with one, 401 GatedRepo, 404
// RevisionNotFound, 404 EntryNotFound, each with `X-Error-Code` and a JSON `{"error"}` body.
// Faults for the tests: drop the connection after N bytes of a file, or corrupt one byte.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'models');

export interface MockRepo {
  readonly name: string;
  /** A folder served as the repository's files. */
  readonly dir: string;
  /** Keep only some files (e.g. a repository without ONNX files). */
  readonly include?: (file: string) => boolean;
  /** Files need a valid token. */
  readonly gated?: boolean;
}

interface RepoFileEntry {
  readonly path: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly gitOid: string;
  readonly lfs: boolean;
}

interface ServedRepo {
  readonly name: string;
  readonly commit: string;
  readonly gated: boolean;
  readonly files: Map<string, RepoFileEntry>;
}

export interface LoggedRequest {
  readonly server: 'hub' | 'files';
  readonly method: string;
  readonly url: string;
  readonly range?: string;
  readonly authorization?: string;
  /** Body bytes actually written (file host only). */
  sent: number;
}

export interface Faults {
  /** Close the socket after this many body bytes of the file, once per entry. */
  readonly dropAfter: Map<string, number>;
  /** Serve this file with one byte flipped. */
  readonly corrupt: Set<string>;
}

/** Which files the Hub stores with LFS: the ONNX graphs and their external data (as the exports' .gitattributes say). */
export function isLfsPath(file: string): boolean {
  return /\.onnx(_data(_\d+)?)?$/.test(file);
}

function listFolder(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(full).isDirectory()) out.push(...listFolder(full, rel));
    else out.push(rel);
  }
  return out;
}

export function gitBlobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

function serveRepo(repo: MockRepo): ServedRepo {
  const files = new Map<string, RepoFileEntry>();
  for (const file of listFolder(repo.dir)) {
    if (repo.include && !repo.include(file)) continue;
    const bytes = readFileSync(path.join(repo.dir, file));
    files.set(file, { path: file, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), gitOid: gitBlobId(bytes), lfs: isLfsPath(file) });
  }
  const commit = createHash('sha1')
    .update(repo.name)
    .update([...files.values()].map((f) => `${f.path}:${f.gitOid}`).join('\n'))
    .digest('hex');
  return { name: repo.name, commit, gated: repo.gated ?? false, files };
}

export interface MockHub {
  /** The Hub's origin (what HF_ENDPOINT is set to). */
  readonly endpoint: string;
  /** The separate host LFS downloads are redirected to. */
  readonly fileHost: string;
  readonly requests: LoggedRequest[];
  readonly faults: Faults;
  commitOf(repo: string): string;
  file(repo: string, file: string): RepoFileEntry;
  close(): Promise<void>;
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'X-Error-Code': code, 'X-Error-Message': message });
  res.end(JSON.stringify({ error: message }));
}

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export interface MockHubOptions {
  readonly repos: readonly MockRepo[];
  readonly token?: string;
  /** The file host sends at most this many bytes a second (so a progress notification stays visible); unlimited when absent. */
  readonly bytesPerSecond?: number;
}

/** Writes `body` in 16 KB slices at `bytesPerSecond`. */
function writeThrottled(res: http.ServerResponse, body: Buffer, bytesPerSecond: number): void {
  const slice = 16 * 1024;
  let offset = 0;
  const next = (): void => {
    if (res.destroyed) return;
    const part = body.subarray(offset, offset + slice);
    offset += part.length;
    if (offset >= body.length) res.end(part);
    else res.write(part, () => setTimeout(next, (1000 * slice) / bytesPerSecond));
  };
  next();
}

export async function startMockHub(options: MockHubOptions): Promise<MockHub> {
  const repos = new Map(options.repos.map((r) => [r.name, serveRepo(r)]));
  const byHash = new Map<string, { repo: ServedRepo; entry: RepoFileEntry }>();
  for (const repo of repos.values()) for (const entry of repo.files.values()) if (entry.lfs) byHash.set(entry.sha256, { repo, entry });
  const requests: LoggedRequest[] = [];
  const faults: Faults = { dropAfter: new Map(), corrupt: new Set() };

  const log = (server: LoggedRequest['server'], req: http.IncomingMessage): LoggedRequest => {
    const entry: LoggedRequest = {
      server,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      sent: 0,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    requests.push(entry);
    return entry;
  };

  /** Writes a file's bytes with Range support and the faults; used by both hosts. */
  const sendBytes = (req: http.IncomingMessage, res: http.ServerResponse, entry: RepoFileEntry, logged: LoggedRequest, headers: Record<string, string>): void => {
    let bytes = entry.bytes;
    if (faults.corrupt.has(entry.path)) {
      bytes = Buffer.from(bytes);
      const middle = Math.floor(bytes.length / 2);
      bytes[middle] = (bytes[middle] as number) ^ 0xff;
    }
    const total = bytes.length;
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= total) {
        res.writeHead(416, { 'Content-Range': `bytes */${total}` });
        res.end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${total - 1}/${total}`;
    }
    res.writeHead(status, { ...headers, 'Accept-Ranges': 'bytes', 'Content-Length': String(total - start), 'Content-Type': 'application/octet-stream' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = bytes.subarray(start);
    const dropAt = faults.dropAfter.get(entry.path);
    if (dropAt !== undefined && dropAt > start && dropAt < total) {
      faults.dropAfter.delete(entry.path);
      const part = body.subarray(0, dropAt - start);
      logged.sent += part.length;
      // The server closes the connection with the body unfinished.
      res.write(part, () => res.socket?.end());
      return;
    }
    logged.sent += body.length;
    if (options.bytesPerSecond && body.length > 0) writeThrottled(res, body, options.bytesPerSecond);
    else res.end(body);
  };

  const files = http.createServer((req, res) => {
    const logged = log('files', req);
    const hash = new URL(req.url ?? '/', 'http://x').pathname.split('/').pop() ?? '';
    const found = byHash.get(hash);
    if (!found) {
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    sendBytes(req, res, found.entry, logged, { ETag: `"${found.entry.sha256}"` });
  });
  const fileHost = await listen(files);

  const authorized = (req: http.IncomingMessage): boolean => options.token !== undefined && req.headers.authorization === `Bearer ${options.token}`;

  /** The repository and the commit a revision names, or an error already sent. */
  const lookup = (req: http.IncomingMessage, res: http.ServerResponse, name: string, revision: string): ServedRepo | undefined => {
    const repo = repos.get(name);
    if (!repo) {
      if (authorized(req)) sendError(res, 404, 'RepoNotFound', 'Repository not found');
      else sendError(res, 401, 'RepoNotFound', 'Repository not found');
      return undefined;
    }
    if (revision !== 'main' && revision !== repo.commit) {
      sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      return undefined;
    }
    return repo;
  };

  const hub = http.createServer((req, res) => {
    const logged = log('hub', req);
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'models' && parts.length >= 6) {
      const name = `${parts[2]}/${parts[3]}`;
      const repo = lookup(req, res, name, parts[5] as string);
      if (!repo) return;
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      if (parts[4] === 'revision') {
        // Like the Hub: with ?expand= only the fields asked for (plus _id and id) come back.
        const all: Record<string, unknown> = {
          _id: createHash('sha1').update(name).digest('hex').slice(0, 24),
          id: name,
          sha: repo.commit,
          private: false,
          gated: repo.gated ? 'manual' : false,
          downloads: 0,
          likes: 0,
          pipeline_tag: 'text-generation',
          lastModified: '2026-01-01T00:00:00.000Z',
          siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
        };
        const expand = url.searchParams.getAll('expand');
        const body = expand.length > 0 ? Object.fromEntries(Object.entries(all).filter(([k]) => k === '_id' || k === 'id' || expand.includes(k))) : all;
        res.end(JSON.stringify(body));
        return;
      }
      if (parts[4] === 'tree') {
        const recursive = url.searchParams.get('recursive') === 'true';
        const prefix = parts.slice(6).join('/');
        const entries: unknown[] = [];
        const dirs = new Set<string>();
        for (const f of repo.files.values()) {
          if (prefix && !f.path.startsWith(`${prefix}/`)) continue;
          const rest = prefix ? f.path.slice(prefix.length + 1) : f.path;
          if (rest.includes('/')) {
            const dir = (prefix ? `${prefix}/` : '') + rest.split('/')[0];
            if (!dirs.has(dir)) {
              dirs.add(dir);
              entries.push({ type: 'directory', oid: createHash('sha1').update(dir).digest('hex'), size: 0, path: dir });
            }
            if (!recursive) continue;
          }
          entries.push({
            type: 'file',
            oid: f.gitOid,
            size: f.bytes.length,
            path: f.path,
            ...(f.lfs ? { lfs: { oid: f.sha256, size: f.bytes.length, pointerSize: 134 } } : {}),
          });
        }
        res.end(JSON.stringify(entries));
        return;
      }
    }
    if (url.pathname === '/api/whoami-v2') {
      if (authorized(req)) {
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ type: 'user', id: '0', name: 'tealeaf-tests', fullname: 'Tealeaf Tests', email: null, canPay: false, isPro: false, avatarUrl: '', orgs: [], auth: { type: 'access_token', accessToken: { displayName: 'test', role: 'read', createdAt: '2026-01-01T00:00:00.000Z' } } }));
      } else {
        sendError(res, 401, 'Unauthorized', 'Invalid credentials in Authorization header');
      }
      return;
    }
    const resolveAt = parts.indexOf('resolve');
    if (resolveAt === 2 && parts.length >= 5) {
      const name = `${parts[0]}/${parts[1]}`;
      const repo = lookup(req, res, name, parts[3] as string);
      if (!repo) return;
      if (repo.gated && !authorized(req)) {
        sendError(res, 401, 'GatedRepo', `Access to model ${name} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
        return;
      }
      const file = parts.slice(4).join('/');
      const entry = repo.files.get(file);
      if (!entry) {
        sendError(res, 404, 'EntryNotFound', `${file} does not exist on "${parts[3]}"`);
        return;
      }
      const common = { 'X-Repo-Commit': repo.commit };
      if (entry.lfs) {
        res.writeHead(302, {
          ...common,
          Location: `${fileHost}/repos/${repo.commit.slice(0, 2)}/${entry.sha256}?X-Amz-Expires=3600`,
          'X-Linked-Etag': `"${entry.sha256}"`,
          'X-Linked-Size': String(entry.bytes.length),
          ETag: `"${entry.sha256}"`,
          'Content-Length': '0',
        });
        res.end();
        return;
      }
      sendBytes(req, res, entry, logged, { ...common, ETag: `"${entry.gitOid}"` });
      return;
    }
    sendError(res, 404, 'NotFound', 'Not found');
  });
  const endpoint = await listen(hub);

  return {
    endpoint,
    fileHost,
    requests,
    faults,
    commitOf: (name) => (repos.get(name) as ServedRepo).commit,
    file: (name, file) => (repos.get(name) as ServedRepo).files.get(file) as RepoFileEntry,
    close: async () => {
      for (const server of [hub, files]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

/** The repositories the catalog names, served from the committed Hub-layout fixtures in `fixtures`. */
export function fixtureRepos(fixtures: string): MockRepo[] {
  return [
    { name: 'Xenova/gpt2', dir: path.join(fixtures, 'hub-gpt2') },
    { name: 'onnx-community/Qwen2.5-Coder-0.5B-Instruct', dir: path.join(fixtures, 'hub-qwen2.5-coder') },
    { name: 'HuggingFaceTB/SmolLM2-135M-Instruct', dir: path.join(fixtures, 'hub-smollm2') },
    { name: 'Xenova/opus-mt-en-de', dir: path.join(fixtures, 'hub-opus-mt-en-de') },
    { name: 'tealeaf-tests/no-onnx', dir: path.join(fixtures, 'hub-gpt2'), include: (f) => !f.startsWith('onnx/') },
    { name: 'tealeaf-tests/gated-gpt2', dir: path.join(fixtures, 'hub-gpt2'), gated: true },
  ];
}

export const FIXTURE_REPOS: readonly MockRepo[] = fixtureRepos(FIXTURES);
