// Encoder-decoder (Marian-style) translation runner.
//
// CONTRACT (for the engineer who owns src/engine/seq2seq/): LocalEngine (src/engine/localEngine.ts)
// calls `loadSeq2Seq(folder, runtime)` for every model whose config is encoder-decoder and uses
// the returned Seq2SeqRunner for Engine.translate / Engine.translationAttention. Replace the body
// of loadSeq2Seq with the real implementation (you may split it over more files in this folder);
// keep these names and signatures, or tell the lead what changed.
import { UnsupportedError } from '../errors';
import type { ModelFolder } from '../modelFolder';
import type { Runtime } from '../onnx';
import type { TranslateRequest, TranslateResult, TranslationAttention } from '../types';

export interface Seq2SeqRunner {
  /** The export has cross_attentions.{i} outputs. */
  readonly hasAttentionOutputs: boolean;
  /** Language codes the model translates between (from its config/tokenizer, never hard-coded). */
  readonly languages: readonly string[];
  translate(request: TranslateRequest, signal?: AbortSignal): Promise<TranslateResult>;
  translationAttention(id: number): Promise<TranslationAttention | undefined>;
  dispose(): Promise<void>;
}

export async function loadSeq2Seq(folder: ModelFolder, _runtime: Runtime): Promise<Seq2SeqRunner> {
  throw new UnsupportedError(`${folder.files.location}: encoder-decoder models are not supported yet`);
}
