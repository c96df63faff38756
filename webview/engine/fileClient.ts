// The page's side of file reading: a model folder read from the extension host by message
// (src/protocol/engineView.ts), since a webview cannot open files. The host validates every path
// (src/host/modelFileServer.ts); large files are read in ranges and put together here.
import { ModelError } from '../../src/engine/errors';
import type { ModelFiles } from '../../src/engine/modelFolder';
import { type FileReply, type FileRequest, MAX_FILE_READ_BYTES } from '../../src/protocol/engineView';

type Ask = { op: 'size' } | { op: 'read'; offset: number; length: number };

/** Distributive Omit: each member of the FileRequest union keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id' | 'kind'> : never;

/** Matches file requests to the host's replies. */
export class FileClient {
  private readonly pending = new Map<number, { resolve(reply: FileReply): void }>();
  private nextId = 1;

  constructor(private readonly post: (request: FileRequest) => void) {}

  ask(request: WithoutId<FileRequest>): Promise<FileReply> {
    const id = this.nextId++;
    return new Promise<FileReply>((resolve) => {
      this.pending.set(id, { resolve });
      this.post({ ...request, kind: 'fileRequest', id } as FileRequest);
    });
  }

  handle(reply: FileReply): void {
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    pending?.resolve(reply);
  }

  /** A model folder of the host, read through this client; `onBytes` counts what crossed. */
  folder(modelDir: string, onBytes: (bytes: number) => void): ModelFiles {
    return new MessageModelFiles(modelDir, this, onBytes);
  }
}

class MessageModelFiles implements ModelFiles {
  constructor(
    /** The folder's path on the host: the model's id, as in the worker. */
    readonly location: string,
    private readonly client: FileClient,
    private readonly onBytes: (bytes: number) => void,
  ) {}

  private async request(path: string, ask: Ask): Promise<FileReply & { ok: true }> {
    const reply = await this.client.ask({ modelDir: this.location, path, ...ask });
    if (!reply.ok) throw new ModelError(reply.error.message);
    return reply;
  }

  async exists(path: string): Promise<boolean> {
    return (await this.size(path)) !== undefined;
  }

  async size(path: string): Promise<number | undefined> {
    const reply = await this.request(path, { op: 'size' });
    return 'size' in reply ? reply.size : undefined;
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const reply = await this.request(path, { op: 'read', offset, length });
    if (!('bytes' in reply)) throw new ModelError(`the host sent no bytes for ${path}`);
    this.onBytes(reply.bytes.byteLength);
    return reply.bytes;
  }

  async readBytes(path: string, maxBytes: number): Promise<Uint8Array> {
    const size = await this.size(path);
    if (size === undefined) throw new ModelError(`${this.location} has no ${path}`);
    if (size > maxBytes) throw new ModelError(`${path} is ${size} bytes, over the ${maxBytes}-byte limit`);
    if (size <= MAX_FILE_READ_BYTES) return this.readRange(path, 0, size);
    const out = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += MAX_FILE_READ_BYTES) {
      out.set(await this.readRange(path, offset, Math.min(MAX_FILE_READ_BYTES, size - offset)), offset);
    }
    return out;
  }
}
