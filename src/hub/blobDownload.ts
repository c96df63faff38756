// One file from the file host into `blobs/`: bytes go to `{blob}.incomplete` (the name Python
// uses, so either client resumes the other's partial file), a dropped connection or an earlier
// cancel resumes with a Range request, and the file enters `blobs/` only once its hash matches
// the one the Hub announced: SHA-256 for LFS files, the git blob id for the others.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isAbortError } from '../engine/errors';
import { ChecksumError, ConnectionDroppedError, HubError } from './errors';
import type { FileMetadata } from './hubApi';
import { httpRequest, type Transport } from './http';

export interface BlobDownload {
  readonly metadata: FileMetadata;
  /** Where the verified file goes: `blobs/{etag}`. */
  readonly blob: string;
  /** For messages: `onnx/model.onnx`. */
  readonly file: string;
  readonly transport: Transport;
  readonly signal?: AbortSignal;
  /** Called with each chunk's length as it is written (resumed bytes already on disk are not reported). */
  readonly onBytes?: (bytes: number) => void;
  /** Tries per file after a dropped connection, each resuming where the last stopped. */
  readonly attempts?: number;
}

export interface BlobResult {
  /** Bytes fetched over the network for this file. */
  readonly fetched: number;
  /** SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** Both hashes, so the result can name its SHA-256 even for files the Hub names by git blob id. */
class FileHashes {
  readonly sha256: Hash = createHash('sha256');
  readonly git: Hash;
  constructor(size: number) {
    // git's blob id: SHA-1 over "blob {size}\0" and the bytes.
    this.git = createHash('sha1').update(`blob ${size}\0`);
  }
  update(chunk: Uint8Array): void {
    this.sha256.update(chunk);
    this.git.update(chunk);
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

/** Feeds the bytes already in a partial file into the hashes, so a resumed file is checked whole. */
async function hashPrefix(file: string, length: number, hashes: FileHashes): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1 })) hashes.update(chunk as Buffer);
}

function contentRangeStart(value: string | undefined): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(value ?? '');
  return match ? Number(match[1]) : undefined;
}

/** What is on disk so far: the partial file's length, the bytes fetched in this run, their hashes. */
interface PartialFile {
  length: number;
  fetched: number;
  hashes: FileHashes;
}

/** Appends one response's body to the partial file; throws ConnectionDroppedError when it ends early. */
async function fetchInto(job: BlobDownload, incomplete: string, partial: PartialFile): Promise<void> {
  const { metadata, transport, signal } = job;
  const headers: Record<string, string> = { 'Accept-Encoding': 'identity', ...(partial.length > 0 ? { Range: `bytes=${partial.length}-` } : {}) };
  const response = await httpRequest({ url: metadata.location, headers, ...(signal ? { signal } : {}) }, transport);
  const status = response.statusCode ?? 0;
  if (status === 206) {
    if (contentRangeStart(response.headers['content-range']) !== partial.length) {
      response.destroy();
      throw new HubError(`the file host answered ${job.file} from the wrong offset (Content-Range ${response.headers['content-range'] ?? 'missing'})`);
    }
  } else if (status === 200) {
    // No Range asked, or the host ignored it: start over rather than append a second copy.
    partial.length = 0;
    partial.hashes = new FileHashes(metadata.size);
  } else {
    response.resume();
    throw new HubError(`the file host answered HTTP ${status} for ${job.file}`);
  }
  const handle = await fs.open(incomplete, partial.length === 0 ? 'w' : 'a');
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (partial.length + chunk.length > metadata.size) throw new ChecksumError(`${job.file}: the file host sent more than the ${metadata.size} bytes the Hub announced`);
      await handle.write(chunk);
      partial.hashes.update(chunk);
      partial.length += chunk.length;
      partial.fetched += chunk.length;
      job.onBytes?.(chunk.length);
    }
  } catch (error) {
    if (signal?.aborted || isAbortError(error) || error instanceof ChecksumError) throw error;
    throw new ConnectionDroppedError(`the connection dropped during ${job.file} after ${partial.length} of ${metadata.size} bytes`);
  } finally {
    await handle.close();
  }
  if (partial.length < metadata.size) throw new ConnectionDroppedError(`the connection dropped during ${job.file} after ${partial.length} of ${metadata.size} bytes`);
}

/** Downloads, resumes and verifies one blob; nothing unverified ever has the blob's name. */
export async function downloadBlob(job: BlobDownload): Promise<BlobResult> {
  const { metadata, blob } = job;
  const incomplete = `${blob}.incomplete`;
  await fs.mkdir(path.dirname(blob), { recursive: true });
  const onDisk = await sizeOf(incomplete);
  const partial: PartialFile = { length: onDisk <= metadata.size ? onDisk : 0, fetched: 0, hashes: new FileHashes(metadata.size) };
  await hashPrefix(incomplete, partial.length, partial.hashes);
  const attempts = job.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      // A complete partial file (cancelled after its last byte) needs no request at all.
      if (partial.length < metadata.size || (metadata.size === 0 && attempt === 1 && onDisk === 0)) await fetchInto(job, incomplete, partial);
      break;
    } catch (error) {
      if (!(error instanceof ConnectionDroppedError) || attempt >= attempts) throw error;
    }
  }
  const sha256 = partial.hashes.sha256.digest('hex');
  const actual = metadata.lfs ? sha256 : partial.hashes.git.digest('hex');
  if (actual !== metadata.etag) {
    await fs.rm(incomplete, { force: true });
    throw new ChecksumError(
      `${job.file} failed its checksum (${metadata.lfs ? 'SHA-256' : 'git blob id'} ${actual}, the Hub announced ${metadata.etag}) and was discarded: the file host or a proxy altered it; download again`,
    );
  }
  await fs.rename(incomplete, blob);
  return { fetched: partial.fetched, sha256 };
}
