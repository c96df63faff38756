// transformers.js in a page, as an extension built on it would run in a webview: its own
// onnxruntime-web build on WASM, one thread, the model from the page's server, greedy.
import { AutoModelForCausalLM, BaseStreamer, env, LogLevel, Tensor } from '@huggingface/transformers';
import { runDecodeJob } from '../decodeJob';
import { transformersRun } from '../systemRuns';
import './pageApi';

env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useBrowserCache = false;
env.logLevel = LogLevel.ERROR;

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
        run: transformersRun({ BaseStreamer, Tensor }, model),
        dispose: async () => {
          await model.dispose();
        },
      };
    }),
};
