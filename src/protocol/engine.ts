// Typed messages between an engine client (the extension host's WorkerHost) and an engine host
// (src/host/engineService.ts in the worker_threads worker). Every method maps to exactly one params
// and one result type. docs/architecture.md shows where they travel.
import type {
  AttentionRequest,
  AttentionResult,
  GenerateRequest,
  GenerateResult,
  GenerationAttention,
  LoadOptions,
  ModelInfo,
  StreamedToken,
  TokenSpan,
  TranslateRequest,
  TranslateResult,
  TranslationAttention,
} from '../engine/types';
import { isRecord } from '../util/unknown';

export interface EngineMethods {
  load: { params: { modelDir: string; options: LoadOptions }; result: { handle: number; info: ModelInfo } };
  tokenize: { params: { handle: number; text: string }; result: readonly TokenSpan[] };
  generate: { params: { handle: number; request: GenerateRequest; stream: boolean }; result: GenerateResult };
  attention: { params: { handle: number; request: AttentionRequest }; result: AttentionResult };
  generationAttention: { params: { handle: number; id: number }; result: GenerationAttention | undefined };
  translate: { params: { handle: number; request: TranslateRequest }; result: TranslateResult };
  translationAttention: { params: { handle: number; id: number }; result: TranslationAttention | undefined };
  unload: { params: { handle: number }; result: void };
  memory: { params: Record<string, never>; result: EngineMemory };
}

/**
 * What the engine's side holds, as its runtime counts it. In a child process `rssBytes` is the
 * engine's own; in a worker thread, the whole process's (the extension host's too).
 */
export interface EngineMemory {
  readonly rssBytes: number;
  /** Resident bytes of the WebAssembly memories (onnxruntime-web's heaps): src/host/wasmMemory.ts. */
  readonly wasmHeapBytes: number;
  /** JavaScript ArrayBuffers: tensors on their way out, model bytes while a model loads. */
  readonly arrayBufferBytes: number;
}

export type EngineMethod = keyof EngineMethods;

export type EngineRequest = {
  [M in EngineMethod]: { readonly kind: 'request'; readonly id: number; readonly method: M; readonly params: EngineMethods[M]['params'] };
}[EngineMethod];

export interface SerializedError {
  readonly name: string;
  readonly message: string;
}

export type EngineResponse =
  | { readonly kind: 'response'; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly kind: 'response'; readonly id: number; readonly ok: false; readonly error: SerializedError };

/** Client → host: stop the request with this id after its current step. */
export interface AbortNotification {
  readonly kind: 'abort';
  readonly requestId: number;
}

/** Host → client: one streamed token of a generate request. */
export interface TokenNotification {
  readonly kind: 'token';
  readonly requestId: number;
  readonly token: StreamedToken;
}

/** Host → client: something the user should hear about once (the native addon would not load, a backend chosen). */
export interface HostNotice {
  readonly kind: 'notice';
  readonly level: NoticeLevel;
  readonly text: string;
}

export type NoticeLevel = 'info' | 'warn';

export type ClientMessage = EngineRequest | AbortNotification;

/**
 * Client → worker_threads worker (beside the engine protocol, as only a thread is ended this way):
 * exit with this code at your next turn. A thread must never be terminated while it is inside
 * onnxruntime-node's synchronous run: the addon then throws out of its native code and aborts
 * the whole process. A turn of the worker's event loop is always between two runs.
 */
export interface WorkerStop {
  readonly kind: 'stop';
  readonly code: number;
}

export function isWorkerStop(value: unknown): value is WorkerStop {
  return isRecord(value) && value.kind === 'stop' && typeof value.code === 'number';
}
export type HostMessage = EngineResponse | TokenNotification | HostNotice;

const METHODS: ReadonlySet<string> = new Set<EngineMethod>([
  'load',
  'tokenize',
  'generate',
  'attention',
  'generationAttention',
  'translate',
  'translationAttention',
  'unload',
  'memory',
]);

export function isClientMessage(value: unknown): value is ClientMessage {
  if (!isRecord(value)) return false;
  if (value.kind === 'abort') return typeof value.requestId === 'number';
  return value.kind === 'request' && typeof value.id === 'number' && typeof value.method === 'string' && METHODS.has(value.method) && isRecord(value.params);
}

export function isHostMessage(value: unknown): value is HostMessage {
  if (!isRecord(value)) return false;
  if (value.kind === 'token') return typeof value.requestId === 'number' && isRecord(value.token);
  if (value.kind === 'notice') return typeof value.text === 'string' && (value.level === 'info' || value.level === 'warn');
  return value.kind === 'response' && typeof value.id === 'number' && typeof value.ok === 'boolean';
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
