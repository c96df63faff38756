// How Tealeaf's engine and transformers.js are run and timed, the same in Node and in a page (no
// Node imports: the pages bundle this file).
import type { PreTrainedModel, TextStreamer } from '@huggingface/transformers';
import type { Engine } from '../../src/engine/types';
import type { OpenSystem } from './decodeJob';
import { pointFromStamps } from './types';

/** Greedy generation by Tealeaf's engine, stamped at each token it streams. */
export function tealeafRun(engine: Engine): OpenSystem['run'] {
  return async (prompt, newTokens) => {
    const stamps: number[] = [];
    const started = performance.now();
    const result = await engine.generate(
      { prompt: prompt.text, maxNewTokens: newTokens, reusePrefix: false, captureAttention: false },
      { onToken: () => void stamps.push(performance.now()) },
    );
    if (result.promptTokens !== prompt.ids.length) throw new Error(`Tealeaf fed ${result.promptTokens} prompt tokens, the other systems ${prompt.ids.length}`);
    return pointFromStamps(prompt.ids.length, started, stamps, result.tokens);
  };
}

/** What the run needs of transformers.js: its Node and web builds both export these. */
export interface TransformersLib {
  readonly BaseStreamer: typeof import('@huggingface/transformers').BaseStreamer;
  readonly Tensor: typeof import('@huggingface/transformers').Tensor;
}

/** Greedy generation by transformers.js from the prompt's ids, stamped at each token its streamer receives. */
export function transformersRun(lib: TransformersLib, model: PreTrainedModel): OpenSystem['run'] {
  /** The first put is the prompt; each later one is a generated token. */
  class Stamps extends lib.BaseStreamer {
    readonly at: number[] = [];
    private puts = 0;
    override put(): void {
      if (this.puts++ > 0) this.at.push(performance.now());
    }
    override end(): void {}
  }
  return async (prompt, newTokens) => {
    const ids = new lib.Tensor('int64', BigInt64Array.from(prompt.ids, (v) => BigInt(v)), [1, prompt.ids.length]);
    const mask = new lib.Tensor('int64', new BigInt64Array(prompt.ids.length).fill(1n), [1, prompt.ids.length]);
    const streamer = new Stamps();
    const started = performance.now();
    // Its types ask for a TextStreamer; generate() only calls put() and end().
    const out = (await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: newTokens, do_sample: false, streamer: streamer as unknown as TextStreamer })) as { tolist(): bigint[][] };
    const tokens = (out.tolist()[0] ?? []).slice(prompt.ids.length).map(Number);
    return pointFromStamps(prompt.ids.length, started, streamer.at, tokens);
  };
}
