// Inspector: command → first paint (the engine's attention-only forward in its worker, thumbnails,
// the document message, the webview's first frame in headless Chromium), then → head statistics
// delivered, for 128, 512 and 1,024 tokens (as far as the model's window goes).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { summarizeOnnx } from '../src/engine/onnxProto';
import { pruneToOutputs } from '../src/engine/onnxPrune';
import type { EngineHost } from '../src/engine/types';
import { measureInspectorFirstPaint } from '../test/webview/firstPaint';
import { type BenchRow, type BenchSection, median, percentile } from './types';

const ROOT = path.resolve(__dirname, '..');
/** Per size: one cold inspection, three more while V8 tiers up, a pause, then nine measured. */
const PLAN = { warmup: 3, settleMs: 3000, runs: 9 };

export async function benchInspector(host: EngineHost, modelDir: string, threads: number, sizes: readonly number[]): Promise<BenchSection> {
  const engine = await host.load(modelDir, { threads });
  const model = path.basename(modelDir);
  const system = `tealeaf-wasm-${threads}t`;
  // Real source as the "selection": this repository's own engine code, repeated if short.
  let text = ['src/engine/localEngine.ts', 'src/engine/generate.ts', 'src/engine/offsets.ts'].map((f) => readFileSync(path.join(ROOT, f), 'utf8')).join('\n');
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  for (const tokens of sizes.filter((n) => n <= engine.info.maxPositions)) {
    while ((await engine.tokenize(text)).length < tokens) text += text;
    // The selection is exactly `tokens` tokens of text, as a user's selection of that size would be.
    // (Special tokens such as BOS have empty spans and count against the budget too.)
    const all = await engine.tokenize(text);
    const specials = all.filter((t) => t.end === t.start).length;
    const selection = text.slice(0, all.filter((t) => t.end > t.start)[tokens - 1 - specials]!.end);
    const { cold, warmup, warm: samples } = await measureInspectorFirstPaint(engine, selection, tokens, PLAN);
    const firstPaint = samples.map((s) => s.firstPaintMs);
    // The first inspection after loading the model also opens the attention-only session.
    results.push({ system, model, metric: `inspector_first_paint_cold_${tokens}`, value: cold.firstPaintMs, unit: 'ms' });
    results.push({ system, model, metric: `inspector_first_paint_warmup_p50_${tokens}`, value: median(warmup.map((s) => s.firstPaintMs)), unit: 'ms' });
    results.push({ system, model, metric: `inspector_first_paint_p50_${tokens}`, value: median(firstPaint), unit: 'ms' });
    results.push({ system, model, metric: `inspector_first_paint_p95_${tokens}`, value: percentile(firstPaint, 95), unit: 'ms' });
    results.push({ system, model, metric: `inspector_forward_${tokens}`, value: median(samples.map((s) => s.forwardMs)), unit: 'ms' });
    results.push({ system, model, metric: `inspector_host_${tokens}`, value: median(samples.map((s) => s.hostMs)), unit: 'ms' });
    results.push({ system, model, metric: `inspector_stats_${tokens}`, value: median(samples.map((s) => s.statsMs)), unit: 'ms' });
    metrics[`inspector_first_paint_ms_${tokens}`] = median(firstPaint);
    metrics[`inspector_stats_ms_${tokens}`] = median(samples.map((s) => s.statsMs));
  }
  await engine.dispose();
  return { results, metrics };
}

const ATTENTION_OUTPUT = /^attentions\.\d+$/;

/**
 * Runs `run` on a copy of a model folder in the stock layout of Hub exports: the same graph without
 * its attentions.{i} outputs, so the inspector must find the attention by graph surgery.
 */
export async function withStockLayout<T>(modelDir: string, run: (dir: string) => Promise<T>): Promise<T> {
  const stock = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-stock-'));
  try {
    cpSync(modelDir, stock, { recursive: true, dereference: true });
    const file = path.join(stock, 'onnx', 'model.onnx');
    const bytes = new Uint8Array(readFileSync(file));
    const outputs = summarizeOnnx(bytes).outputNames.filter((name) => !ATTENTION_OUTPUT.test(name));
    writeFileSync(file, pruneToOutputs(bytes, outputs).bytes);
    return await run(stock);
  } finally {
    rmSync(stock, { recursive: true, force: true });
  }
}
