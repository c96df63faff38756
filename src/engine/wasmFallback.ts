// An engine on WebGPU that moves to WebAssembly for good once its GPU is beyond recovery: a
// DeviceLostError (the device lost twice in one request, or no new device to reopen on) makes it
// load the model again on WASM, run the failed request there, and every later one. A host wraps
// its WebGPU engine in it so that a request never fails just because the GPU went away.
import { errorText } from '../util/unknown';
import type {
  AttentionRequest,
  AttentionResult,
  CallOptions,
  Engine,
  GenerateCallOptions,
  GenerateRequest,
  GenerateResult,
  GenerationAttention,
  ModelInfo,
  StreamedToken,
  TokenSpan,
  TranslateRequest,
  TranslateResult,
  TranslationAttention,
} from './types';

/** By name, so that an error revived from another thread or a webview counts too. */
export function isDeviceLostError(error: unknown): boolean {
  return error instanceof Error && error.name === 'DeviceLostError';
}

export class WasmFallbackEngine implements Engine {
  private current: Engine;
  private moved: Promise<Engine> | undefined;

  /**
   * `loadWasm(reason)`: the same model on WebAssembly; `reason` is the GPU's failure, for the
   * engine's backendReason and the output channel.
   */
  constructor(
    gpu: Engine,
    private readonly loadWasm: (reason: string) => Promise<Engine>,
  ) {
    this.current = gpu;
  }

  /** The info of the engine serving now: its backend says 'wasm' once it moved. */
  get info(): ModelInfo {
    return this.current.info;
  }

  private moveToWasm(failed: Engine, reason: string): Promise<Engine> {
    this.moved ??= (async () => {
      await failed.dispose().catch(() => undefined); // its sessions are on a device that is gone
      this.current = await this.loadWasm(reason);
      return this.current;
    })();
    return this.moved;
  }

  private async call<T>(run: (engine: Engine, retry: boolean) => Promise<T>): Promise<T> {
    const engine = this.current;
    try {
      return await run(engine, false);
    } catch (error) {
      if (!isDeviceLostError(error)) throw error;
      return run(await this.moveToWasm(engine, errorText(error)), true);
    }
  }

  tokenize(text: string): Promise<readonly TokenSpan[]> {
    return this.call((engine) => engine.tokenize(text));
  }

  generate(request: GenerateRequest, options: GenerateCallOptions = {}): Promise<GenerateResult> {
    // Tokens streamed before the GPU gave up are not streamed again by the run on WASM.
    let streamed = 0;
    const onToken = options.onToken;
    return this.call((engine, retry) => {
      let index = 0;
      const stream = onToken && {
        onToken: (token: StreamedToken) => {
          if (!retry) streamed++;
          else if (index++ < streamed) return;
          onToken(token);
        },
      };
      return engine.generate(request, { ...options, ...stream });
    });
  }

  attention(request: AttentionRequest, options?: CallOptions): Promise<AttentionResult> {
    return this.call((engine) => engine.attention(request, options));
  }

  /** What the GPU engine captured is gone with it: undefined after the move, as for a stale id. */
  generationAttention(id: number): Promise<GenerationAttention | undefined> {
    return this.call((engine) => engine.generationAttention(id));
  }

  translate(request: TranslateRequest, options?: CallOptions): Promise<TranslateResult> {
    return this.call((engine) => engine.translate(request, options));
  }

  translationAttention(id: number): Promise<TranslationAttention | undefined> {
    return this.call((engine) => engine.translationAttention(id));
  }

  async dispose(): Promise<void> {
    await this.moved?.catch(() => undefined);
    await this.current.dispose();
  }
}
