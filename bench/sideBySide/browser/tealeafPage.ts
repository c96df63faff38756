// Tealeaf's engine in a page, as in a webview: onnxruntime-web WASM, one thread, the model read
// over HTTP. Bundled by browser.ts.
import * as ort from 'onnxruntime-web';
import type { DtypeChoice } from '../../../src/engine/dtype';
import { LocalEngine } from '../../../src/engine/localEngine';
import { runDecodeJob } from '../decodeJob';
import { pointFromStamps } from '../types';
import { FetchModelFiles } from './fetchModelFiles';
import './pageApi';

ort.env.wasm.wasmPaths = new URL('/ort-web/', location.href).href;
ort.env.logLevel = 'error';

window.bench = {
  decode: (job) =>
    runDecodeJob('tealeaf-web', job, async () => {
      ort.env.wasm.numThreads = job.threads;
      const engine = await LocalEngine.load(new FetchModelFiles(job.model.dir), { ort, backend: 'wasm' }, 'bench', { dtype: job.model.dtype as DtypeChoice });
      const opened = engine.info.onnxFiles.join(' + ');
      if (opened !== `onnx/${job.model.file}`) throw new Error(`Tealeaf opened ${opened}, not onnx/${job.model.file}`);
      return {
        async run(prompt, newTokens) {
          const stamps: number[] = [];
          const started = performance.now();
          const result = await engine.generate(
            { prompt: prompt.text, maxNewTokens: newTokens, reusePrefix: false, captureAttention: false },
            { onToken: () => void stamps.push(performance.now()) },
          );
          if (result.promptTokens !== prompt.ids.length) throw new Error(`Tealeaf fed ${result.promptTokens} prompt tokens, the other systems ${prompt.ids.length}`);
          return pointFromStamps(prompt.ids.length, started, stamps, result.tokens);
        },
        dispose: () => engine.dispose(),
      };
    }),
};
