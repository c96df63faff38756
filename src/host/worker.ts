// Entry point of the worker_threads engine host (bundled as dist/worker.mjs beside ORT's wasm files).
import { parentPort, workerData } from 'node:worker_threads';
import { type HostMessage, isClientMessage, isWorkerStop } from '../protocol/engine';
import { EngineService } from './engineService';
import { createInProcessHost } from './inProcessHost';
import type { EngineWorkerData } from './workerTransport';

const port = parentPort;
if (!port) throw new Error('worker.mjs must run in a worker_threads worker');
const data = (workerData ?? {}) as EngineWorkerData;
const host = createInProcessHost({
  wasmDir: data.wasmDir,
  ...(data.threads !== undefined ? { threads: data.threads } : {}),
  ...(data.backend !== undefined ? { backend: data.backend } : {}),
  ...(data.nativeAddonFolder !== undefined ? { nativeAddonFolder: data.nativeAddonFolder } : {}),
  ...(data.backendCacheFile !== undefined ? { backendCacheFile: data.backendCacheFile } : {}),
  onNotice: (level, text) => port.postMessage({ kind: 'notice', level, text } satisfies HostMessage),
});
const service = new EngineService(host, (message, transfer) => port.postMessage(message, transfer));
port.on('message', (message: unknown) => {
  // In a worker, process.exit ends this thread only.
  if (isWorkerStop(message)) process.exit(message.code);
  if (isClientMessage(message)) service.handle(message);
});
