// An Engine that says why it runs on its backend (info.backendReason), and why on its file when
// that choice was made for another backend (auto loads native with the file WASM chose), and
// otherwise is the engine it wraps: every call goes straight through.
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
  TokenSpan,
  TranslateRequest,
  TranslateResult,
  TranslationAttention,
} from '../engine/types';

export class ReasonedEngine implements Engine {
  constructor(
    private readonly engine: Engine,
    private readonly backendReason: string,
    private readonly dtypeReason?: string,
  ) {}

  get info(): ModelInfo {
    return { ...this.engine.info, backendReason: this.backendReason, ...(this.dtypeReason !== undefined ? { dtypeReason: this.dtypeReason } : {}) };
  }

  tokenize(text: string): Promise<readonly TokenSpan[]> {
    return this.engine.tokenize(text);
  }

  generate(request: GenerateRequest, options?: GenerateCallOptions): Promise<GenerateResult> {
    return this.engine.generate(request, options);
  }

  attention(request: AttentionRequest, options?: CallOptions): Promise<AttentionResult> {
    return this.engine.attention(request, options);
  }

  generationAttention(id: number): Promise<GenerationAttention | undefined> {
    return this.engine.generationAttention(id);
  }

  translate(request: TranslateRequest, options?: CallOptions): Promise<TranslateResult> {
    return this.engine.translate(request, options);
  }

  translationAttention(id: number): Promise<TranslationAttention | undefined> {
    return this.engine.translationAttention(id);
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}
