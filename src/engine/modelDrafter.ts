// Drafts from a second, smaller model with the same tokenizer: it decodes greedily a few tokens
// ahead on its own KV cache, which it reuses across drafts and keystrokes by common prefix, so a
// rejected draft rolls back by truncation and the next draft prefills only what is new.
import { prefillAllButLastChunk, PREFILL_CHUNK_TOKENS } from './chunkedPrefill';
import { type DecoderModel, openDecoderModel } from './decoderModel';
import type { DtypeChoice } from './dtype';
import { ModelError } from './errors';
import { commonPrefixLength, type KvCache, succeed } from './kvCache';
import { type ModelFiles, type ModelFolder, readModelFolder } from './modelFolder';
import type { Runtime } from './onnx';
import { argmax } from './sampling';
import type { Draft, Drafter } from './speculation';
import type { ModelTokenizer } from './tokenizer';

/** The draft model a LocalEngine loads beside its own: its folder and weight file. */
export interface DraftFiles {
  readonly files: ModelFiles;
  readonly dtype?: DtypeChoice;
}

export class ModelDrafter implements Drafter {
  /** The draft model's cache of the last context it drafted from (plus its drafts but the last). */
  private cache: KvCache;

  constructor(
    readonly model: DecoderModel,
    /** The draft model's folder name, for messages. */
    readonly name: string,
    private readonly chunk = PREFILL_CHUNK_TOKENS,
  ) {
    this.cache = model.emptyCache();
  }

  async draft(context: readonly number[], max: number, signal?: AbortSignal): Promise<Draft> {
    return { tokens: await this.tokens(context, max, signal), kind: 'draft-model' };
  }

  private async tokens(context: readonly number[], max: number, signal?: AbortSignal): Promise<number[]> {
    if (max <= 0 || context.length === 0) return [];
    const reused = Math.min(commonPrefixLength(context, this.cache.ids), context.length - 1);
    // An id past the draft's embedding rows (a main model with a wider padded vocabulary): no guess.
    if (context.slice(reused).some((id) => id >= this.model.config.vocabSize)) return [];
    // Dropped while it runs: a draft that throws leaves nothing stale behind (nor on the GPU:
    // `cache` is the one this draft holds, disposed when replaced or on a failure).
    let cache = this.cache;
    this.cache = this.model.emptyCache();
    try {
      cache = succeed(cache, await cache.truncated(reused));
      const prefill = await prefillAllButLastChunk(this.model, cache, context.slice(reused), this.chunk, signal);
      cache = prefill.cache;
      if (prefill.aborted) {
        this.cache = cache;
        return [];
      }
      let step = await this.model.forward(cache, prefill.rest);
      cache = succeed(cache, step.cache);
      const drafts: number[] = [];
      for (;;) {
        const next = argmax(step.lastLogits);
        drafts.push(next);
        if (drafts.length >= max || signal?.aborted) break;
        step = await this.model.forward(cache, [next]);
        cache = succeed(cache, step.cache);
      }
      this.cache = cache;
      return drafts;
    } catch (error) {
      cache.dispose();
      throw error;
    }
  }

  dispose(): Promise<void> {
    this.cache.dispose();
    this.cache = this.model.emptyCache();
    return this.model.dispose();
  }
}

/** Opens the draft model for a main model's folder: a decoder whose tokenizer is the main one's. */
export async function openModelDrafter(draft: DraftFiles, runtime: Runtime, main: ModelFolder, name: string): Promise<ModelDrafter> {
  const folder = await readModelFolder(draft.files);
  if (folder.config.kind !== 'decoder') throw new ModelError(`the draft model ${name} is an encoder-decoder model; a draft model is a decoder with the main model's tokenizer`);
  checkSameTokenizer(main.tokenizer, folder.tokenizer, name, Math.max(main.config.vocabSize, folder.config.vocabSize));
  return new ModelDrafter(await openDecoderModel(folder, runtime, { dtype: draft.dtype ?? 'auto' }), name);
}

/** Ids compared when checking that two tokenizers agree: every id below this (Qwen's are 151,665). */
const VOCABULARY_CHECK_LIMIT = 400_000;

/**
 * Throws unless both tokenizers give every id the same token (or both none): drafts are compared
 * with the main model's choices id by id. `ids`: the larger of the two models' vocabulary sizes.
 */
export function checkSameTokenizer(main: ModelTokenizer, draft: ModelTokenizer, draftName: string, ids: number): void {
  let known = 0;
  for (let id = 0; id < Math.min(ids, VOCABULARY_CHECK_LIMIT); id++) {
    const token = draft.tokenString(id);
    const mainToken = main.tokenString(id);
    if (token !== mainToken) {
      throw new ModelError(`the draft model ${draftName} has another tokenizer: its id ${id} is ${JSON.stringify(token ?? null)}, the main model's is ${JSON.stringify(mainToken ?? null)}`);
    }
    if (token !== undefined) known++;
  }
  if (known === 0) throw new ModelError(`the draft model ${draftName} has an empty vocabulary`);
}
