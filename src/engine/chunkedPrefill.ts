// Chunked prefill: a long prompt goes through the model a chunk at a time over the KV cache of the
// chunks before, with the event loop let in between, so an abort (the keystroke is no longer the
// latest) stops it after the chunk that is running, and the newest request starts within one
// chunk's time instead of one whole prefill's. Causal attention makes the chunks' cache equal to
// one pass's: position i depends only on the tokens up to i.
import type { DecoderModel } from './decoderModel';
import { type KvCache, succeed } from './kvCache';
import { yieldToEventLoop } from './yield';

/**
 * Tokens per prefill pass: the smallest chunk that costs next to nothing, on both models of
 * `npm run bench -- prefill-chunks` (bench/prefillChunks.ts, 2 cores): 1,000 tokens on the default
 * code model take 1,096 ms in one pass, +2.3% in chunks of 128 (the longest 164 ms), +38% in
 * chunks of 64, +93% in chunks of 16; 512 tokens on the 0.5B model 15.9 s, +4.6% in chunks of 128
 * (the longest 4.4 s), +17% in 64, +64% in 16. Each pass copies the whole KV cache in and out, and
 * smaller matrix products run slower per row.
 */
export const PREFILL_CHUNK_TOKENS = 128;

export interface ChunkedPrefill {
  /** The cache with every chunk fed so far (valid for reuse even when aborted). */
  readonly cache: KvCache;
  /** Tokens not fed yet: at most one chunk, unless aborted. */
  readonly rest: readonly number[];
  /** Forward passes run. */
  readonly passes: number;
  readonly aborted: boolean;
}

/**
 * Feeds `ids` chunk by chunk until at most `chunk` remain: the caller feeds those in the pass whose
 * logits it reads (with any drafts). Checks the signal after each chunk. Takes `cache` over: each
 * chunk's input cache is disposed once its successor exists, and the current one on a failure.
 */
export async function prefillAllButLastChunk(
  model: DecoderModel,
  cache: KvCache,
  ids: readonly number[],
  chunk: number,
  signal?: AbortSignal,
): Promise<ChunkedPrefill> {
  const size = Math.max(1, Math.floor(chunk));
  let rest = ids;
  let passes = 0;
  try {
    while (rest.length > size) {
      cache = succeed(cache, (await model.forward(cache, rest.slice(0, size))).cache);
      rest = rest.slice(size);
      passes++;
      if (signal) {
        await yieldToEventLoop(); // lets the abort of a newer keystroke arrive
        if (signal.aborted) return { cache, rest, passes, aborted: true };
      }
    }
  } catch (error) {
    cache.dispose(); // a failed chunk leaves nothing on the GPU behind
    throw error;
  }
  return { cache, rest, passes, aborted: false };
}
