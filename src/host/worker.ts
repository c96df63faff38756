// Entry point of the engine host (bundled as dist/worker.mjs beside ORT's wasm files): a
// worker_threads worker (workerTransport.ts) or a child process (processTransport.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { type EngineMemory, type HostMessage, isClientMessage, isWorkerStop } from '../protocol/engine';
import { bulkMessages } from './bulkPieces';
import { EngineService } from './engineService';
import { createInProcessHost } from './inProcessHost';
import { ENGINE_PROCESS_DATA_FLAG } from './processTransport';
import { processWasmBytes } from './wasmMemory';
import type { EngineWorkerData } from './workerTransport';

/** How this engine talks to its client: the thread's port, or the process's IPC channel. */
interface Channel {
  readonly data: EngineWorkerData;
  send(message: HostMessage, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
}

function channel(): Channel {
  if (parentPort) {
    const port = parentPort;
    return {
      data: (workerData ?? {}) as EngineWorkerData,
      send: (message, transfer) => port.postMessage(message, transfer),
      onMessage: (listener) => port.on('message', listener),
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('worker.mjs must run in a worker_threads worker or a child process with an IPC channel');
  const flag = process.argv.find((arg) => arg.startsWith(ENGINE_PROCESS_DATA_FLAG));
  // The client going away (the extension host ended) ends the engine with it.
  process.on('disconnect', () => process.exit(0));
  return {
    data: (flag ? JSON.parse(flag.slice(ENGINE_PROCESS_DATA_FLAG.length)) : {}) as EngineWorkerData,
    // Large arrays in pieces, so that the extension host never allocates a large message whole.
    send: (message) => bulkMessages(message).forEach((m) => void send(m)),
    onMessage: (listener) => process.on('message', listener),
  };
}

/** The engine's memory: in a process, the engine's own; in a thread, the whole process's. */
function nodeEngineMemory(): EngineMemory {
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, wasmHeapBytes: processWasmBytes(usage), arrayBufferBytes: usage.arrayBuffers };
}

const { data, send, onMessage } = channel();
const host = createInProcessHost({
  wasmDir: data.wasmDir,
  ...(data.threads !== undefined ? { threads: data.threads } : {}),
  ...(data.backend !== undefined ? { backend: data.backend } : {}),
  ...(data.nativeAddonFolder !== undefined ? { nativeAddonFolder: data.nativeAddonFolder } : {}),
  ...(data.backendCacheFile !== undefined ? { backendCacheFile: data.backendCacheFile } : {}),
  onNotice: (level, text) => send({ kind: 'notice', level, text }),
});
const service = new EngineService(host, send, nodeEngineMemory);
onMessage((message: unknown) => {
  // In a worker, process.exit ends this thread only; in a process, the process.
  if (isWorkerStop(message)) process.exit(message.code);
  if (isClientMessage(message)) service.handle(message);
});
