// An EngineHost that runs inference in the calling thread: for the worker, the CLI, tests and
// benchmarks. Never use it on the extension host's main thread (inference blocks the event loop).
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { LocalEngine } from '../engine/localEngine';
import type { Engine, EngineHost, LoadOptions } from '../engine/types';
import { draftOption } from './draftFiles';
import { NodeModelFiles } from './nodeModelFiles';

export function defaultThreads(): number {
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

/** ORT's wasm files ship beside the bundle (dist/); in tests they are found in node_modules. */
export function configureOrt(threads: number, wasmDir?: string): void {
  ort.env.wasm.numThreads = threads;
  if (wasmDir) ort.env.wasm.wasmPaths = new URL(`file://${path.resolve(wasmDir)}/`).href;
  ort.env.logLevel = 'error';
}

export interface InProcessHostOptions {
  readonly wasmDir?: string;
  /** WASM threads for every load; without it the first load's `threads` (or the default) counts. */
  readonly threads?: number;
}

export function createInProcessHost(options: InProcessHostOptions = {}): EngineHost {
  const engines = new Set<Engine>();
  let configuredThreads: number | undefined;
  return {
    async load(modelDir: string, loadOptions: LoadOptions = {}): Promise<Engine> {
      // numThreads is process-wide and fixed once the WASM module is initialised: a different
      // thread count needs a new process or worker (WorkerHost.setThreads restarts its worker).
      if (configuredThreads === undefined) {
        configuredThreads = options.threads ?? loadOptions.threads ?? defaultThreads();
        configureOrt(configuredThreads, options.wasmDir);
      }
      const files = await NodeModelFiles.open(modelDir);
      const engine = await LocalEngine.load(files, { ort, backend: 'wasm' }, path.basename(files.location), { dtype: loadOptions.dtype, ...(await draftOption(loadOptions)) });
      engines.add(engine);
      return engine;
    },
    async dispose(): Promise<void> {
      // LocalEngine.dispose is idempotent: engines their owner already disposed are fine here.
      await Promise.all([...engines].map((e) => e.dispose()));
      engines.clear();
    },
  };
}
