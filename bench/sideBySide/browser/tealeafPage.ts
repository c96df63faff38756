// Tealeaf's engine in a page, as in a webview: onnxruntime-web WASM, one thread, the model read
// over HTTP. Bundled by browser.ts.
import * as ort from 'onnxruntime-web';
import type { DtypeChoice } from '../../../src/engine/dtype';
import { LocalEngine } from '../../../src/engine/localEngine';
import { runDecodeJob } from '../decodeJob';
import { tealeafRun } from '../systemRuns';
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
        run: tealeafRun(engine),
        dispose: () => engine.dispose(),
      };
    }),
};
