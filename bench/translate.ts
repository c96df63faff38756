// Translation: words/s en→de (greedy and beam 4) and chrF on held-out sentence pairs
// (bench/data/translate-heldout.tsv: English<TAB>German, from the recipe's held-out split).
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineHost } from '../src/engine/types';
import type { BenchRow, BenchSection } from './types';

export const HELDOUT = path.resolve(__dirname, 'data', 'translate-heldout.tsv');

/** chrF (Popović 2015): character n-grams 1..6, recall weighted by β = 2, spaces removed, corpus-level. */
export function chrF(hypotheses: readonly string[], references: readonly string[], maxOrder = 6, beta = 2): number {
  const matches = new Array<number>(maxOrder).fill(0);
  const hypTotals = new Array<number>(maxOrder).fill(0);
  const refTotals = new Array<number>(maxOrder).fill(0);
  hypotheses.forEach((hypothesis, i) => {
    const hyp = [...hypothesis.replace(/\s+/g, '')];
    const ref = [...(references[i] ?? '').replace(/\s+/g, '')];
    for (let n = 1; n <= maxOrder; n++) {
      const counts = new Map<string, number>();
      for (let k = 0; k + n <= ref.length; k++) {
        const gram = ref.slice(k, k + n).join('');
        counts.set(gram, (counts.get(gram) ?? 0) + 1);
      }
      let matched = 0;
      for (let k = 0; k + n <= hyp.length; k++) {
        const gram = hyp.slice(k, k + n).join('');
        const left = counts.get(gram) ?? 0;
        if (left > 0) {
          matched++;
          counts.set(gram, left - 1);
        }
      }
      matches[n - 1]! += matched;
      hypTotals[n - 1]! += Math.max(0, hyp.length - n + 1);
      refTotals[n - 1]! += Math.max(0, ref.length - n + 1);
    }
  });
  let precision = 0;
  let recall = 0;
  for (let n = 0; n < maxOrder; n++) {
    precision += hypTotals[n]! > 0 ? matches[n]! / hypTotals[n]! : 0;
    recall += refTotals[n]! > 0 ? matches[n]! / refTotals[n]! : 0;
  }
  precision /= maxOrder;
  recall /= maxOrder;
  if (precision + recall === 0) return 0;
  const b2 = beta * beta;
  return (100 * (1 + b2) * precision * recall) / (b2 * precision + recall);
}

export function readPairs(file: string, limit: number): { en: string; de: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.split('\t'))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts[0]!.trim() !== '' && parts[1]!.trim() !== '')
    .slice(0, limit)
    .map(([en, de]) => ({ en, de }));
}

export async function benchTranslate(host: EngineHost, modelDir: string, threads: number, sentences = 100): Promise<BenchSection> {
  if (!existsSync(path.join(modelDir, 'config.json')) || !existsSync(HELDOUT)) return { results: [] };
  const engine = await host.load(modelDir, { threads });
  const model = path.basename(modelDir);
  const system = `tealeaf-wasm-${threads}t`;
  const pairs = readPairs(HELDOUT, sentences);
  const words = pairs.reduce((sum, p) => sum + p.en.split(/\s+/).filter(Boolean).length, 0);
  const results: BenchRow[] = [];
  const metrics: Record<string, number> = {};
  for (const beams of [1, 4]) {
    const hypotheses: string[] = [];
    const started = performance.now();
    for (const pair of pairs) hypotheses.push((await engine.translate({ text: pair.en, from: 'en', to: 'de', beams })).target);
    const seconds = (performance.now() - started) / 1000;
    const label = beams === 1 ? 'greedy' : `beam${beams}`;
    results.push({ system, model, metric: `translate_en_de_words_per_s_${label}`, value: words / seconds, unit: 'words/s' });
    results.push({ system, model, metric: `translate_en_de_chrf_${label}`, value: chrF(hypotheses, pairs.map((p) => p.de)), unit: 'chrF' });
    metrics[`translate_words_per_s_${label}`] = words / seconds;
    if (beams === 1) metrics.translate_words_per_s = words / seconds;
  }
  await engine.dispose();
  return { results, metrics };
}
