// A model folder read over HTTP, as a page reads one its host serves: sizes from HEAD, whole files
// from GET. Paths that leave the folder are refused before any request.
import { ModelError } from '../../../src/engine/errors';
import type { ModelFiles } from '../../../src/engine/modelFolder';

export class FetchModelFiles implements ModelFiles {
  /** `base`: the folder's URL, ending in '/'. */
  constructor(private readonly base: string) {}

  get location(): string {
    return this.base;
  }

  private url(relativePath: string): string {
    if (relativePath.split('/').some((part) => part === '..' || part === '') || relativePath.startsWith('/')) {
      throw new ModelError(`refused ${relativePath}: outside the model folder`);
    }
    return new URL(relativePath, this.base).href;
  }

  async exists(relativePath: string): Promise<boolean> {
    return (await this.size(relativePath)) !== undefined;
  }

  async size(relativePath: string): Promise<number | undefined> {
    const response = await fetch(this.url(relativePath), { method: 'HEAD' });
    if (!response.ok) return undefined;
    const length = Number(response.headers.get('content-length'));
    return Number.isFinite(length) ? length : undefined;
  }

  async readBytes(relativePath: string, maxBytes: number): Promise<Uint8Array> {
    const size = await this.size(relativePath);
    if (size === undefined) throw new ModelError(`${this.base} has no ${relativePath}`);
    if (size > maxBytes) throw new ModelError(`${relativePath} is ${size} bytes, over the ${maxBytes} that can be read`);
    const response = await fetch(this.url(relativePath));
    return new Uint8Array(await response.arrayBuffer());
  }
}
