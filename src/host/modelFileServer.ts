// The host's answers to the engine webview's file requests (src/protocol/engineView.ts). The page
// reads only folders the host asked it to load (allow()), each through NodeModelFiles: the same
// confinement and checks as the engine worker (no `..`, no absolute paths, no symlinks out of the
// folder, no pickles, regular files only). Bytes are read in ranges of at most MAX_FILE_READ_BYTES, so
// no single message carries a whole multi-gigabyte file.
import { ModelError } from '../engine/errors';
import { type FileReply, type FileRequest, MAX_FILE_READ_BYTES } from '../protocol/engineView';
import { serializeError } from '../protocol/engine';
import { NodeModelFiles } from './nodeModelFiles';

export class ModelFileServer {
  private readonly allowed = new Set<string>();
  private readonly opened = new Map<string, Promise<NodeModelFiles>>();

  /** Lets the page read `modelDir` (a folder a load request names: the model or its draft). */
  allow(modelDir: string): void {
    this.allowed.add(modelDir);
  }

  async answer(request: FileRequest): Promise<FileReply> {
    try {
      const files = await this.folder(request.modelDir);
      if (request.op === 'size') {
        const size = await files.size(request.path);
        return { kind: 'fileReply', id: request.id, ok: true, ...(size !== undefined ? { size } : {}) };
      }
      if (request.offset < 0 || request.length < 0 || request.length > MAX_FILE_READ_BYTES) {
        throw new ModelError(`refused a read of ${request.length} bytes at ${request.offset} of ${request.path}: at most ${MAX_FILE_READ_BYTES} bytes a request`);
      }
      return { kind: 'fileReply', id: request.id, ok: true, bytes: await files.readRange(request.path, request.offset, request.length) };
    } catch (error) {
      return { kind: 'fileReply', id: request.id, ok: false, error: serializeError(error) };
    }
  }

  private folder(modelDir: string): Promise<NodeModelFiles> {
    if (!this.allowed.has(modelDir)) {
      return Promise.reject(new ModelError(`refused ${modelDir}: the engine webview reads only the model folders it was asked to load`));
    }
    let files = this.opened.get(modelDir);
    if (!files) {
      files = NodeModelFiles.open(modelDir);
      this.opened.set(modelDir, files);
      // A folder that failed to open (not there yet) is opened again next time.
      files.catch(() => this.opened.delete(modelDir));
    }
    return files;
  }
}
