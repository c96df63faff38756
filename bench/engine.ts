// Engine figures: prefill and per-token decode for each model, the cost of fetching attention
// (the same forward pass with and without the attentions.{i} outputs), and the inspector's
// attention-only pass on the pruned graph.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-web';
import { openDecoderModel } from '../src/engine/decoderModel';
import { readModelFolder } from '../src/engine/modelFolder';
import type { EngineHost } from '../src/engine/types';
import { NodeModelFiles } from '../src/host/nodeModelFiles';
import { type BenchRow, type BenchSection, median } from './types';

const SAMPLE = `export function debounce(fn, wait) {\n  let timer;\n  return (...args) => {\n    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), wait);\n  };\n}\n`;

/** About `tokens` tokens of real code for this tokenizer. */
export function idsOf(encode: (text: string) => number[], tokens: number): number[] {
  let text = SAMPLE;
  while (encode(text).length < tokens) text += SAMPLE;
  return encode(text).slice(0, tokens);
}

async function time(run: () => Promise<unknown>, repeats: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

export async function benchEngine(host: EngineHost, models: readonly string[], threads: number): Promise<BenchSection> {
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  const ratios: Record<string, number> = {};
  const system = `tealeaf-wasm-${threads}t`;
  for (const dir of models.filter((m) => existsSync(path.join(m, 'config.json')))) {
    const name = path.basename(dir);
    const engine = await host.load(dir, { threads });
    if (engine.info.kind !== 'decoder') continue;
    const prompt = (await engine.tokenize(SAMPLE.repeat(4))).slice(0, 64);
    const promptText = SAMPLE.repeat(4).slice(0, prompt[prompt.length - 1]?.end);
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await engine.generate({ prompt: promptText, maxNewTokens: 32, reusePrefix: false }));
    results.push({ system, model: name, metric: 'prefill_64_tokens', value: median(runs.map((r) => r.prefillMs)), unit: 'ms' });
    results.push({ system, model: name, metric: 'decode_per_token', value: median(runs.map((r) => r.decodeMsPerToken)), unit: 'ms' });
    await engine.dispose();

    const folder = await readModelFolder(await NodeModelFiles.open(dir));
    const model = await openDecoderModel(folder, { ort, backend: 'wasm' });
    if (model.io.attentionNames.length > 0) {
      for (const length of [128, 512, 1024].filter((n) => n <= folder.config.maxPositions)) {
        const ids = idsOf((text) => folder.tokenizer.encode(text, { addSpecialTokens: false }), length);
        await model.forward(model.emptyCache(), ids); // warm-up
        const without = await time(() => model.forward(model.emptyCache(), ids), 5);
        const withAttention = await time(() => model.forward(model.emptyCache(), ids, { attention: true }), 5);
        const ratio = withAttention / without;
        // What the inspector runs: the graph pruned to the attention outputs (no LM head).
        await model.attentionPass(ids); // opens the pruned session
        const attentionOnly = await time(() => model.attentionPass(ids), 5);
        results.push({ system, model: name, metric: `forward_${length}_tokens`, value: without, unit: 'ms' });
        results.push({ system, model: name, metric: `forward_with_attention_${length}_tokens`, value: withAttention, unit: 'ms' });
        results.push({ system, model: name, metric: `attention_pass_${length}_tokens`, value: attentionOnly, unit: 'ms' });
        results.push({ system, model: name, metric: `attention_pass_vs_forward_${length}`, value: attentionOnly / without, unit: 'ratio' });
        results.push({ system, model: name, metric: `attention_overhead_${length}`, value: ratio, unit: 'ratio' });
        metrics[`attention_overhead_${name}_${length}`] = ratio;
        if (name === 'tealeaf-code' && length === 512) ratios.attention_overhead = ratio;
      }
    }
    await model.dispose();
  }
  return { results, metrics, ratios };
}
