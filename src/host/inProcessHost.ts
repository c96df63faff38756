// An EngineHost that runs inference in the calling thread: for the worker, the CLI, tests and
// benchmarks. Never use it on the extension host's main thread (inference blocks the event loop).
// A new backend starts here (runtimeFor): docs/architecture.md, "Adding a backend".
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import type { DtypeChoice } from '../engine/dtype';
import { UnsupportedError } from '../engine/errors';
import { LocalEngine } from '../engine/localEngine';
import type { Runtime } from '../engine/onnx';
import type { Engine, EngineHost, LoadOptions } from '../engine/types';
import type { NoticeLevel } from '../protocol/engine';
import { BackendChoiceCache, choiceKey } from './backendChoiceCache';
import { probeEngine } from './backendProbe';
import { type BackendLoader, type BackendPreference, type CpuBackend, loadOnBackend, type NativeAvailability } from './backendSelection';
import { loadNativeOrt, type NativeOrt } from './nativeOrt';
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
  /** Threads for every load (WASM's, and each native session's); without it the first load's `threads` (or the default) counts. */
  readonly threads?: number;
  /** Backend of loads that name none; default `wasm`. */
  readonly backend?: BackendPreference;
  /** Folder of onnxruntime-node's addon in the bundles (nativeAddonFolder.ts); default beside the bundle. */
  readonly nativeAddonFolder?: string;
  /** Where `auto` keeps its measurements per model and machine; without it, it measures on every load. */
  readonly backendCacheFile?: string;
  /** Said once each: the native addon would not load (warn), what `auto` chose for a model (info). */
  readonly onNotice?: (level: NoticeLevel, text: string) => void;
}

export function createInProcessHost(options: InProcessHostOptions = {}): EngineHost {
  const engines = new Set<Engine>();
  const told = new Set<string>();
  const cache = new BackendChoiceCache(options.backendCacheFile);
  let configuredThreads: number | undefined;
  let native: Promise<NativeOrt> | undefined;

  const notice = (level: NoticeLevel, text: string): void => {
    if (told.has(text)) return;
    told.add(text);
    options.onNotice?.(level, text);
  };
  const nativeOrt = (): Promise<NativeOrt> => (native ??= loadNativeOrt(options.nativeAddonFolder !== undefined ? { addonFolder: options.nativeAddonFolder } : {}));

  async function runtimeFor(backend: CpuBackend, threads: number): Promise<Runtime> {
    if (backend === 'wasm') return { ort, backend: 'wasm' };
    const loaded = await nativeOrt();
    if (!loaded.ok) throw new UnsupportedError(loaded.reason);
    return { ort: loaded.ort, backend: 'native', threads, openSession: loaded.openSession };
  }

  return {
    async load(modelDir: string, loadOptions: LoadOptions = {}): Promise<Engine> {
      // numThreads is process-wide and fixed once the WASM module is initialised: a different
      // thread count needs a new process or worker (WorkerHost.setThreads restarts its worker).
      if (configuredThreads === undefined) {
        configuredThreads = options.threads ?? loadOptions.threads ?? defaultThreads();
        configureOrt(configuredThreads, options.wasmDir);
      }
      const threads = configuredThreads;
      const preference = loadOptions.backend ?? options.backend ?? 'wasm';
      if (preference === 'webgpu') throw new UnsupportedError('WebGPU runs in a webview, not in a Node engine host');
      const loader: BackendLoader = {
        load: async (backend: CpuBackend, dtype: DtypeChoice) => {
          const files = await NodeModelFiles.open(modelDir);
          return LocalEngine.load(files, await runtimeFor(backend, threads), path.basename(files.location), { dtype, ...(loadOptions.purpose ? { purpose: loadOptions.purpose } : {}), ...(await draftOption(loadOptions)) });
        },
        native: async (): Promise<NativeAvailability> => {
          const loaded = await nativeOrt();
          return loaded.ok ? { ok: true } : { ok: false, reason: loaded.reason };
        },
      };
      // Without loading the addon (auto asks for it only after WASM has loaded the model): both
      // packages are pinned to one onnxruntime version, which onnxruntime-common reports.
      const runtimes = `onnxruntime-web ${ort.env.versions.web ?? ''} onnxruntime-common ${ort.env.versions.common}`;
      const dtype = loadOptions.dtype ?? 'auto';
      const engine = await loadOnBackend(preference, dtype, {
        loader,
        cache,
        // The inspector's worker keeps engines that only compute attention, and probes them so.
        key: () => choiceKey(modelDir, { dtype: `${dtype} ${loadOptions.purpose ?? 'all'}`, threads, runtimes }),
        notice,
        probe: (engine) => probeEngine(engine, loadOptions.purpose),
      });
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
