// ModelFiles over the Node file system, confined to one folder: no absolute or `..` paths, no
// symlinks anywhere on the way, realpath kept inside the folder, sizes checked before reading.
// One exception: a Hugging Face cache snapshot (`models--owner--name/snapshots/{commit}`) holds
// its files as symlinks into the same repository's `blobs/`, and those (and only those) are followed.
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { ModelError } from '../engine/errors';
import type { LazyBytes, ModelFiles } from '../engine/modelFolder';
import { LazyFileBytes } from './lazyFileBytes';

/** Pickled PyTorch weights can run code when loaded: Tealeaf never opens them. */
export const PICKLE_EXTENSIONS = ['.bin', '.pt', '.pth', '.pkl', '.pickle', '.ckpt'];

export class NodeModelFiles implements ModelFiles {
  private constructor(
    readonly location: string,
    private readonly root: string,
    /** The real `blobs/` folder when the folder is a Hub cache snapshot: the one place its symlinks may lead. */
    private readonly hubBlobs: string | undefined,
  ) {}

  /** The real path of the folder: the external data a native session reads lies below it. */
  get diskPath(): string {
    return this.root;
  }

  static async open(folder: string): Promise<NodeModelFiles> {
    const absolute = path.resolve(folder);
    let stat;
    try {
      stat = await fs.stat(absolute);
    } catch {
      throw new ModelError(`model folder ${absolute} does not exist`);
    }
    if (!stat.isDirectory()) throw new ModelError(`${absolute} is not a folder`);
    const root = await fs.realpath(absolute);
    return new NodeModelFiles(absolute, root, await hubBlobsOf(root));
  }

  private async resolve(relativePath: string): Promise<string> {
    if (path.isAbsolute(relativePath) || relativePath.split(/[\\/]/).some((p) => p === '..' || p === '')) {
      throw new ModelError(`refused model path ${relativePath}: it must stay inside the model folder`);
    }
    let current = this.root;
    const parts = relativePath.split(/[\\/]/);
    for (const [i, part] of parts.entries()) {
      current = path.join(current, part);
      const stat = await fs.lstat(current);
      if (stat.isSymbolicLink()) {
        if (i === parts.length - 1) {
          const blob = await this.hubBlob(current);
          if (blob) return blob;
        }
        throw new ModelError(`refused ${relativePath}: symbolic links are not followed in model folders`);
      }
    }
    const real = await fs.realpath(current);
    if (real !== this.root && !real.startsWith(this.root + path.sep)) {
      throw new ModelError(`refused ${relativePath}: it resolves outside the model folder`);
    }
    return real;
  }

  /** The blob a snapshot symlink leads to, when this is a Hub snapshot and the link stays in its repository's `blobs/`. */
  private async hubBlob(link: string): Promise<string | undefined> {
    if (!this.hubBlobs) return undefined;
    const real = await fs.realpath(link);
    if (path.dirname(real) !== this.hubBlobs) return undefined;
    return (await fs.lstat(real)).isFile() ? real : undefined;
  }

  /** The real path of a file in the folder, or undefined when there is none. */
  private async resolveIfPresent(relativePath: string): Promise<string | undefined> {
    try {
      return await this.resolve(relativePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The real path of a file the folder must have, to read: one ModelError when it is missing or a pickle. */
  private async resolveExisting(relativePath: string): Promise<string> {
    // Looking for a pickle is fine (to name it in an error); reading one never is.
    if (PICKLE_EXTENSIONS.includes(path.extname(relativePath).toLowerCase())) {
      throw new ModelError(`refused ${relativePath}: pickle files can run code and are never loaded`);
    }
    const file = await this.resolveIfPresent(relativePath);
    if (file === undefined) throw new ModelError(`${this.location} has no ${relativePath}`);
    return file;
  }

  async exists(relativePath: string): Promise<boolean> {
    return (await this.resolveIfPresent(relativePath)) !== undefined;
  }

  async size(relativePath: string): Promise<number | undefined> {
    const file = await this.resolveIfPresent(relativePath);
    if (file === undefined) return undefined;
    return regularFileSize(relativePath, await fs.stat(file));
  }

  async readRange(relativePath: string, offset: number, length: number): Promise<Uint8Array> {
    const handle = await fs.open(await this.resolveExisting(relativePath), 'r');
    try {
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new ModelError(`${relativePath} ends before byte ${offset + length}: the file is truncated`);
        done += bytesRead;
      }
      return out;
    } finally {
      await handle.close();
    }
  }

  async openLazily(relativePath: string): Promise<LazyBytes> {
    return new LazyFileBytes(await this.resolveExisting(relativePath));
  }

  async readBytes(relativePath: string, maxBytes: number): Promise<Uint8Array> {
    const file = await this.resolveExisting(relativePath);
    const stat = await fs.stat(file);
    regularFileSize(relativePath, stat);
    if (stat.size > maxBytes) throw new ModelError(`${relativePath} is ${stat.size} bytes, over the ${maxBytes}-byte limit`);
    // A view of the Buffer, not a copy: model files run to gigabytes.
    const buffer = await fs.readFile(file);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
}

/**
 * The size of a regular file; a folder or a FIFO, socket or device where a model file should be is
 * refused (reading a FIFO would wait forever).
 */
function regularFileSize(relativePath: string, stat: Stats): number {
  if (stat.isDirectory()) throw new ModelError(`${relativePath} is a folder where a file should be`);
  if (!stat.isFile()) throw new ModelError(`${relativePath} is not a regular file`);
  return stat.size;
}

/** `…/models--{owner}--{name}/snapshots/{commit}` → the real `…/models--{owner}--{name}/blobs`, else undefined. */
async function hubBlobsOf(root: string): Promise<string | undefined> {
  const snapshots = path.dirname(root);
  const repo = path.dirname(snapshots);
  if (path.basename(snapshots) !== 'snapshots' || !path.basename(repo).startsWith('models--') || !/^[0-9a-f]{40}$/.test(path.basename(root))) return undefined;
  try {
    return await fs.realpath(path.join(repo, 'blobs'));
  } catch {
    return undefined;
  }
}
