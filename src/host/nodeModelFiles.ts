// ModelFiles over the Node file system, confined to one folder: no absolute or `..` paths, no
// symlinks anywhere on the way, realpath kept inside the folder, sizes checked before reading.
import { promises as fs } from 'node:fs';
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
  ) {}

  static async open(folder: string): Promise<NodeModelFiles> {
    const absolute = path.resolve(folder);
    let stat;
    try {
      stat = await fs.stat(absolute);
    } catch {
      throw new ModelError(`model folder ${absolute} does not exist`);
    }
    if (!stat.isDirectory()) throw new ModelError(`${absolute} is not a folder`);
    return new NodeModelFiles(absolute, await fs.realpath(absolute));
  }

  private async resolve(relativePath: string): Promise<string> {
    if (path.isAbsolute(relativePath) || relativePath.split(/[\\/]/).some((p) => p === '..' || p === '')) {
      throw new ModelError(`refused model path ${relativePath}: it must stay inside the model folder`);
    }
    if (PICKLE_EXTENSIONS.includes(path.extname(relativePath).toLowerCase())) {
      throw new ModelError(`refused ${relativePath}: pickle files can run code and are never loaded`);
    }
    let current = this.root;
    for (const part of relativePath.split(/[\\/]/)) {
      current = path.join(current, part);
      const stat = await fs.lstat(current);
      if (stat.isSymbolicLink()) throw new ModelError(`refused ${relativePath}: symbolic links are not followed in model folders`);
    }
    const real = await fs.realpath(current);
    if (real !== this.root && !real.startsWith(this.root + path.sep)) {
      throw new ModelError(`refused ${relativePath}: it resolves outside the model folder`);
    }
    return real;
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

  /** The real path of a file the folder must have: one ModelError when it is missing. */
  private async resolveExisting(relativePath: string): Promise<string> {
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
    const stat = await fs.stat(file);
    return stat.isFile() ? stat.size : undefined;
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
    if (!stat.isFile()) throw new ModelError(`${relativePath} is not a file`);
    if (stat.size > maxBytes) throw new ModelError(`${relativePath} is ${stat.size} bytes, over the ${maxBytes}-byte limit`);
    // A view of the Buffer, not a copy: model files run to gigabytes.
    const buffer = await fs.readFile(file);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
}
