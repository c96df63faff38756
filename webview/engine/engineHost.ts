// The page's EngineHost: each model as a LocalEngine on onnxruntime-web, on WebGPU when the page
// found an adapter and WebAssembly otherwise, its files read from the extension host. A model
// WebGPU cannot open (an operator it lacks) runs on WebAssembly instead, and says so.
import type { DtypeChoice } from '../../src/engine/dtype';
import { SessionError } from '../../src/engine/errors';
import { LocalEngine } from '../../src/engine/localEngine';
import type { ModelFiles } from '../../src/engine/modelFolder';
import type { Ort } from '../../src/engine/onnx';
import type { Engine, EngineHost, LoadOptions, ModelInfo } from '../../src/engine/types';
import { WasmFallbackEngine } from '../../src/engine/wasmFallback';
import { ReasonedEngine } from '../../src/host/reasonedEngine';
import type { NoticeLevel } from '../../src/protocol/engine';
import { errorText } from '../../src/util/unknown';

/** A model the page holds, for its status view. */
export interface LoadedModel {
  readonly info: ModelInfo;
  /** Bytes of its files that crossed from the host: its weights, about what it holds in memory. */
  readonly bytes: number;
}

export interface PageEngineHostOptions {
  readonly ort: Ort;
  readonly backend: 'webgpu' | 'wasm';
  /** Why that backend (the engine's info.backendReason). */
  readonly reason: string;
  /** A host folder, read by message; `onBytes` counts what crossed. */
  readonly files: (modelDir: string, onBytes: (bytes: number) => void) => ModelFiles;
  readonly notice: (level: NoticeLevel, text: string) => void;
  /** Called after every load and unload. */
  readonly onChange: (models: readonly LoadedModel[]) => void;
}

function baseName(dir: string): string {
  return dir.split(/[\\/]/).filter((part) => part !== '').pop() ?? dir;
}

export function createPageEngineHost(options: PageEngineHostOptions): EngineHost {
  const models = new Map<Engine, { bytes: number }>();
  const changed = (): void => options.onChange([...models].map(([engine, m]) => ({ info: engine.info, bytes: m.bytes })));

  async function open(modelDir: string, load: LoadOptions, backend: 'webgpu' | 'wasm', counter: { bytes: number }): Promise<Engine> {
    const count = (bytes: number): void => {
      counter.bytes += bytes;
    };
    const draft = load.draftModel ? { files: options.files(load.draftModel, count), ...(load.draftDtype ? { dtype: load.draftDtype } : {}) } : undefined;
    return LocalEngine.load(options.files(modelDir, count), { ort: options.ort, backend }, baseName(modelDir), {
      dtype: (load.dtype ?? 'auto') satisfies DtypeChoice,
      ...(load.purpose ? { purpose: load.purpose } : {}),
      ...(draft ? { draft } : {}),
    });
  }

  return {
    async load(modelDir: string, load: LoadOptions = {}): Promise<Engine> {
      const counter = { bytes: 0 };
      let engine: Engine;
      try {
        const opened = new ReasonedEngine(await open(modelDir, load, options.backend, counter), options.reason);
        // A GPU gone for good (lost again while recovering, or no device to reopen on) moves the
        // model to WebAssembly, where the failed request runs again: it never fails for that alone.
        engine =
          options.backend === 'webgpu'
            ? new WasmFallbackEngine(opened, async (why) => {
                options.notice('warn', `${baseName(modelDir)}: ${why}; it runs on WebAssembly in the Tealeaf Engine panel from now on`);
                counter.bytes = 0;
                const wasm = new ReasonedEngine(await open(modelDir, load, 'wasm', counter), `webgpu-webview was asked for, but ${why}; running on WebAssembly in the Tealeaf Engine panel`);
                changed();
                return wasm;
              })
            : opened;
      } catch (error) {
        if (options.backend !== 'webgpu' || !(error instanceof SessionError)) throw error;
        const why = `WebGPU could not open this model (${errorText(error)})`;
        options.notice('warn', `${baseName(modelDir)}: ${why}; it runs on WebAssembly in the Tealeaf Engine panel`);
        counter.bytes = 0;
        engine = new ReasonedEngine(await open(modelDir, load, 'wasm', counter), `webgpu-webview was asked for, but ${why}; running on WebAssembly in the Tealeaf Engine panel`);
      }
      const tracked = new TrackedEngine(engine, () => {
        models.delete(tracked);
        changed();
      });
      models.set(tracked, counter);
      changed();
      return tracked;
    },
    async dispose(): Promise<void> {
      await Promise.all([...models.keys()].map((engine) => engine.dispose()));
    },
  };
}

/** The engine, and a note to the status view when it is disposed; its info is the engine's now. */
class TrackedEngine extends ReasonedEngine {
  constructor(
    private readonly tracked: Engine,
    private readonly onDispose: () => void,
  ) {
    super(tracked, tracked.info.backendReason ?? '', tracked.info.dtypeReason);
  }

  override get info(): ModelInfo {
    return this.tracked.info;
  }

  override async dispose(): Promise<void> {
    this.onDispose();
    await super.dispose();
  }
}
