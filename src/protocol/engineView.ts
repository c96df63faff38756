// Messages between the extension host and the Tealeaf Engine webview (webview/engine/), beside
// the engine protocol (engine.ts) that both also carry: the page says it is ready and what GPU it
// found, and reads model files from the host (the webview cannot open files itself; the host
// answers after the same validation as the engine worker, src/host/modelFileServer.ts). Bytes
// cross as Uint8Array, which VS Code's webview messaging carries as binary, never as JSON arrays.
import { isRecord } from '../util/unknown';
import type { SerializedError } from './engine';

/** Largest range one read request may ask for: larger files are read in several. */
export const MAX_FILE_READ_BYTES = 64 * 1024 * 1024;

/** What the page found when it asked navigator.gpu for an adapter. */
export type GpuReport =
  | { readonly available: true; readonly adapter: string; readonly shaderF16: boolean }
  | { readonly available: false; readonly why: string };

/** Page → host, once its engine service listens: requests may be posted from now on. */
export interface PageReady {
  readonly kind: 'ready';
  readonly gpu: GpuReport;
}

/** Page → host: a file of a model folder the engine is loading. */
export type FileRequest =
  | { readonly kind: 'fileRequest'; readonly id: number; readonly modelDir: string; readonly path: string; readonly op: 'size' }
  | { readonly kind: 'fileRequest'; readonly id: number; readonly modelDir: string; readonly path: string; readonly op: 'read'; readonly offset: number; readonly length: number };

/** Host → page: the answer to one FileRequest (`size` undefined: no such file). */
export type FileReply =
  | { readonly kind: 'fileReply'; readonly id: number; readonly ok: true; readonly size?: number }
  | { readonly kind: 'fileReply'; readonly id: number; readonly ok: true; readonly bytes: Uint8Array }
  | { readonly kind: 'fileReply'; readonly id: number; readonly ok: false; readonly error: SerializedError };

function isGpuReport(value: unknown): value is GpuReport {
  if (!isRecord(value)) return false;
  if (value.available === true) return typeof value.adapter === 'string' && typeof value.shaderF16 === 'boolean';
  return value.available === false && typeof value.why === 'string';
}

export function isPageReady(value: unknown): value is PageReady {
  return isRecord(value) && value.kind === 'ready' && isGpuReport(value.gpu);
}

export function isFileRequest(value: unknown): value is FileRequest {
  if (!isRecord(value) || value.kind !== 'fileRequest') return false;
  if (typeof value.id !== 'number' || typeof value.modelDir !== 'string' || typeof value.path !== 'string') return false;
  if (value.op === 'size') return true;
  return value.op === 'read' && Number.isSafeInteger(value.offset) && Number.isSafeInteger(value.length);
}

export function isFileReply(value: unknown): value is FileReply {
  if (!isRecord(value) || value.kind !== 'fileReply' || typeof value.id !== 'number') return false;
  if (value.ok === false) return isRecord(value.error) && typeof value.error.message === 'string';
  if (value.ok !== true) return false;
  return value.bytes === undefined ? value.size === undefined || typeof value.size === 'number' : value.bytes instanceof Uint8Array;
}
