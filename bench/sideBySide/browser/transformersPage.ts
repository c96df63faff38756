// transformers.js in a page, as an extension built on it would run in a webview: its own
// onnxruntime-web build on WASM, one thread, the model from the page's server, greedy.
import { AutoModelForCausalLM, BaseStreamer, env, LogLevel, Tensor, type TextStreamer } from '@huggingface/transformers';
import { runDecodeJob } from '../decodeJob';
import { pointFromStamps } from '../types';
import './pageApi';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
env.logLevel = LogLevel.ERROR;

/** The first put is the prompt; each later one is a generated token. */
class Stamps extends BaseStreamer {
  readonly at: number[] = [];
  private puts = 0;
  override put(): void {
    if (this.puts++ > 0) this.at.push(performance.now());
  }
  override end(): void {}
}

window.bench = {
  decode: (job) =>
    runDecodeJob('transformersjs-web', job, async () => {
      const wasm = env.backends.onnx.wasm;
      if (!wasm) throw new Error('transformers.js has no WASM backend here');
      // The build transformers.js picks for itself (asyncify), from this server instead of its CDN.
      wasm.wasmPaths = { mjs: new URL('/ort-tjs/ort-wasm-simd-threaded.asyncify.mjs', location.href).href, wasm: new URL('/ort-tjs/ort-wasm-simd-threaded.asyncify.wasm', location.href).href };
      wasm.numThreads = job.threads;
      const folder = new URL(job.model.dir);
      const name = folder.pathname.replace(/\/$/, '').split('/').pop() ?? '';
      env.localModelPath = new URL('..', folder).href;
      const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: job.model.dtype, device: 'wasm' });
      return {
        async run(prompt, newTokens) {
          const ids = new Tensor('int64', BigInt64Array.from(prompt.ids, (v) => BigInt(v)), [1, prompt.ids.length]);
          const mask = new Tensor('int64', new BigInt64Array(prompt.ids.length).fill(1n), [1, prompt.ids.length]);
          const streamer = new Stamps();
          const started = performance.now();
          // Its types ask for a TextStreamer; generate() only calls put() and end().
          const out = (await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: newTokens, do_sample: false, streamer: streamer as unknown as TextStreamer })) as { tolist(): bigint[][] };
          const tokens = (out.tolist()[0] ?? []).slice(prompt.ids.length).map(Number);
          return pointFromStamps(prompt.ids.length, started, streamer.at, tokens);
        },
        dispose: async () => {
          await model.dispose();
        },
      };
    }),
};
