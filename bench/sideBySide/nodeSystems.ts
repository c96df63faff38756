// The systems that run in Node, each opened on one model file with one thread count: Tealeaf's
// engine on WebAssembly and on onnxruntime-node, transformers.js (which runs on onnxruntime-node in
// Node), and the bare loop on onnxruntime-web and on onnxruntime-node.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DtypeChoice } from '../../src/engine/dtype';
import { BareOrtLoop } from './bareLoop';
import type { OpenSystem } from './decodeJob';
import { tealeafRun, transformersRun } from './systemRuns';
import type { ModelRef, NodeSystem } from './types';

export type { OpenSystem } from './decodeJob';

export function openNodeSystem(system: NodeSystem, model: ModelRef, threads: number): Promise<OpenSystem> {
  switch (system) {
    case 'tealeaf-wasm':
      return openTealeaf(model, threads, 'wasm');
    case 'tealeaf-native':
      return openTealeaf(model, threads, 'native');
    case 'transformersjs-node':
      return openTransformersNode(model, threads);
    case 'ort-web-bare':
      return openBareWeb(model, threads);
    case 'ort-node-bare':
      return openBareNode(model, threads);
  }
}

async function openTealeaf(model: ModelRef, threads: number, backend: 'wasm' | 'native'): Promise<OpenSystem> {
  const { createInProcessHost } = await import('../../src/host/inProcessHost');
  const host = createInProcessHost({ threads, backend });
  const engine = await host.load(model.dir, { threads, backend, dtype: model.dtype as DtypeChoice });
  const opened = engine.info.onnxFiles.join(' + ');
  if (opened !== `onnx/${model.file}`) throw new Error(`Tealeaf opened ${opened}, not onnx/${model.file}`);
  return {
    run: tealeafRun(engine),
    dispose: () => host.dispose(),
  };
}

/** transformers.js' dtype names for the files it opens. */
const TRANSFORMERS_DTYPE: Readonly<Record<ModelRef['dtype'], string>> = { fp32: 'fp32', fp16: 'fp16', q8: 'q8', q4: 'q4' };

async function openTransformersNode(model: ModelRef, threads: number): Promise<OpenSystem> {
  const { AutoModelForCausalLM, BaseStreamer, env, LogLevel, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${path.dirname(path.resolve(model.dir))}${path.sep}`;
  env.logLevel = LogLevel.ERROR;
  const loaded = await AutoModelForCausalLM.from_pretrained(path.basename(model.dir), {
    dtype: TRANSFORMERS_DTYPE[model.dtype] as 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  return {
    run: transformersRun({ BaseStreamer, Tensor }, loaded),
    dispose: async () => {
      await loaded.dispose();
    },
  };
}

async function openBareWeb(model: ModelRef, threads: number): Promise<OpenSystem> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  const file = path.join(model.dir, 'onnx', model.file);
  const data = `${file}_data`;
  const session = await ort.InferenceSession.create(readFileSync(file), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    ...(existsSync(data) ? { externalData: [{ path: path.basename(data), data: readFileSync(data) }] } : {}),
  });
  return bareSystem(new BareOrtLoop(ort, session));
}

async function openBareNode(model: ModelRef, threads: number): Promise<OpenSystem> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(path.join(model.dir, 'onnx', model.file), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  return bareSystem(new BareOrtLoop(ort, session));
}

function bareSystem(loop: BareOrtLoop): OpenSystem {
  return { run: (prompt, newTokens) => loop.generate(prompt.ids, newTokens), dispose: () => loop.dispose() };
}
