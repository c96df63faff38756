// Keystroke to suggestion, as a user feels it, over the replay of real edits (bench/editReplay.ts):
// Tealeaf's CompletionService with its engine in the extension's worker, against what an extension
// built on transformers.js does, which is re-running the whole prompt on each keystroke. Both run on
// onnxruntime-node (transformers.js' only runtime in Node; Tealeaf's native-worker backend) with the
// same threads, see the same window of tokens before the cursor and generate the same number of
// tokens (transformers.js as many as Tealeaf did for that keystroke): the difference is the work reused.
import * as path from 'node:path';
import { CompletionService } from '../../src/completions/service';
import { DEFAULT_SETTINGS, type CompletionSettings } from '../../src/completions/settings';
import { WorkerHost } from '../../src/host/workerHost';
import { keystrokesOf, readReplay } from '../editReplay';
import { recording } from '../speculative';

export interface KeystrokeSample {
  /** The first keystroke of a session: nothing before it to reuse. */
  readonly cold: boolean;
  readonly ms: number;
  readonly generated: number;
}

export interface ReplayFigures {
  readonly tealeaf: readonly KeystrokeSample[];
  readonly transformersjs: readonly KeystrokeSample[];
  readonly contextTokens: number;
}

export interface ReplayOptions {
  readonly modelDir: string;
  readonly threads: number;
  readonly sessions: number;
  readonly keystrokes: number;
  readonly log: (line: string) => void;
}

const ROOT = path.resolve(__dirname, '..', '..');

export async function replayKeystrokes(options: ReplayOptions): Promise<ReplayFigures> {
  const replay = readReplay();
  const sessions = replay.sessions.slice(0, options.sessions);
  const host = new WorkerHost({ workerPath: path.join(ROOT, 'dist', 'worker.mjs'), threads: options.threads, backend: 'native' });
  const naive = await naiveTransformers(options.modelDir, options.threads);
  try {
    const engine = await host.load(options.modelDir, { threads: options.threads });
    const recorded = recording(engine);
    // The whole window the model holds, less the suggestion and the specials.
    const contextTokens = Math.min(DEFAULT_SETTINGS.contextTokens, engine.info.maxPositions - DEFAULT_SETTINGS.maxTokens - 8);
    const settings: CompletionSettings = { ...DEFAULT_SETTINGS, debounceMs: 0, contextTokens };
    const tealeaf: KeystrokeSample[] = [];
    const transformersjs: KeystrokeSample[] = [];
    for (const session of sessions) {
      const service = new CompletionService({ engine: () => recorded.engine, settings: () => settings, useCache: false });
      const keystrokes = keystrokesOf(session, options.keystrokes, 6000);
      for (const [i, keystroke] of keystrokes.entries()) {
        recorded.clear();
        const started = performance.now();
        await service.complete({ documentKey: keystroke.documentKey, windowStart: keystroke.windowStart, before: keystroke.before, after: keystroke.after });
        const ms = performance.now() - started;
        const generated = recorded.last()?.tokens.length ?? 0;
        tealeaf.push({ cold: i === 0, ms, generated });
        transformersjs.push({ cold: i === 0, ...(await naive.complete(keystroke.before, contextTokens, Math.max(1, generated))) });
      }
      service.dispose();
      options.log(`side-by-side: replay ${session.file}: ${keystrokes.length} keystrokes`);
    }
    return { tealeaf, transformersjs, contextTokens };
  } finally {
    await naive.dispose();
    await host.dispose();
  }
}

/** transformers.js in Node (onnxruntime-node), re-running the last `contextTokens` tokens each time. */
async function naiveTransformers(modelDir: string, threads: number): Promise<{ complete(before: string, contextTokens: number, newTokens: number): Promise<{ ms: number; generated: number }>; dispose(): Promise<void> }> {
  const { AutoModelForCausalLM, AutoTokenizer, env, LogLevel, Tensor } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${path.dirname(path.resolve(modelDir))}${path.sep}`;
  env.logLevel = LogLevel.ERROR;
  const name = path.basename(modelDir);
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu', session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
  return {
    async complete(before, contextTokens, newTokens) {
      const started = performance.now();
      const all = tokenizer.encode(before, { add_special_tokens: false });
      const ids = all.slice(Math.max(0, all.length - contextTokens));
      const input = new Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), [1, ids.length]);
      const mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
      const out = (await model.generate({ input_ids: input, attention_mask: mask, max_new_tokens: newTokens, do_sample: false })) as { tolist(): bigint[][] };
      const generated = (out.tolist()[0] ?? []).slice(ids.length);
      tokenizer.decode(generated, { skip_special_tokens: true });
      return { ms: performance.now() - started, generated: generated.length };
    },
    dispose: async () => {
      await model.dispose();
    },
  };
}
