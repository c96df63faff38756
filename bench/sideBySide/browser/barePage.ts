// The bare onnxruntime-web loop in a page: the floor Tealeaf's page is compared with.
import * as ort from 'onnxruntime-web';
import { BareOrtLoop } from '../bareLoop';
import { runDecodeJob } from '../decodeJob';
import './pageApi';

ort.env.wasm.wasmPaths = new URL('/ort-web/', location.href).href;
ort.env.logLevel = 'error';

async function bytes(url: string): Promise<Uint8Array | undefined> {
  const response = await fetch(url);
  return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
}

window.bench = {
  decode: (job) =>
    runDecodeJob('ort-web-bare-web', job, async () => {
      ort.env.wasm.numThreads = job.threads;
      const file = new URL(`onnx/${job.model.file}`, job.model.dir).href;
      const model = await bytes(file);
      if (!model) throw new Error(`${file} is not there`);
      const data = await bytes(`${file}_data`);
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
        ...(data ? { externalData: [{ path: `${job.model.file}_data`, data }] } : {}),
      });
      const loop = new BareOrtLoop(ort, session);
      return { run: (prompt, newTokens) => loop.generate(prompt.ids, newTokens), dispose: () => loop.dispose() };
    }),
};
