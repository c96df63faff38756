// Fixture payloads for the webview tests: real InspectorSessions (the host's code path) over
// synthetic attention with known patterns.
import { computeHeadStats } from '../../src/engine/headStats';
import type { AttentionResult, TokenSpan, TranslationAttention } from '../../src/engine/types';
import { InspectorSession, inspectTranslation, sectionFromResult } from '../../src/inspector/session';
import { flatBlock } from '../blocks';

/** Tokens of a small function: the labels the views must draw. */
export const CODE_TOKENS = ['function', ' add', '(', 'a', ',', ' b', ')', ' {', '\n ', ' return', ' a', ' +', ' b', ';', '\n', '}'];

function spans(texts: readonly string[]): TokenSpan[] {
  let offset = 0;
  return texts.map((text, i) => {
    const t = { id: i, text, start: offset, end: offset + text.length };
    offset += text.length;
    return t;
  });
}

/**
 * Causal attention [layers, heads, t, t] whose head h has a known pattern:
 * 0 previous token, 1 first token (sink), 2 uniform, 3 self.
 */
export function patternAttention(layers: number, heads: number, t: number): Float32Array {
  const data = new Float32Array(layers * heads * t * t);
  for (let l = 0; l < layers; l++)
    for (let h = 0; h < heads; h++)
      for (let q = 0; q < t; q++) {
        const base = ((l * heads + h) * t + q) * t;
        switch (h % 4) {
          case 0:
            data[base + Math.max(0, q - 1)] = 1;
            break;
          case 1:
            data[base] = q === 0 ? 1 : 0.8;
            if (q > 0) data[base + q] = 0.2;
            break;
          case 2:
            for (let k = 0; k <= q; k++) data[base + k] = 1 / (q + 1);
            break;
          default:
            data[base + q] = 1;
        }
      }
  return data;
}

export function attentionResult(tokens: readonly string[], layers: number, heads: number): AttentionResult {
  const t = tokens.length;
  const attention = flatBlock({
    layers: Array.from({ length: layers }, (_, i) => i),
    heads: Array.from({ length: heads }, (_, i) => i),
    rows: Array.from({ length: t }, (_, i) => i),
    keys: t,
    data: patternAttention(layers, heads, t),
  });
  return { kind: 'self', tokens: spans(tokens), truncatedTokens: 0, textOffset: 0, totalLayers: layers, totalHeads: heads, attention, stats: computeHeadStats(attention), forwardMs: 3 };
}

let nextDocId = 1;

/** The header line of model facts the code session's document carries. */
export const FIXTURE_FACTS = 'LlamaForCausalLM · 138k parameters · 4 layers × 4 heads / 2 KV (GQA) · rope positions · context 128 · fp32 (onnx/model.onnx)';

export function codeSession(notice?: string): InspectorSession {
  const result = attentionResult(CODE_TOKENS, 4, 4);
  return new InspectorSession(
    { docId: nextDocId++, title: 'add.ts:1–3', modelName: 'fixture', modelFacts: FIXTURE_FACTS, ...(notice ? { notice } : {}), source: { kind: 'selection', uri: 'file:///w/add.ts', start: 0, end: 40 } },
    [sectionFromResult(result, { uri: 'file:///w/add.ts', base: 0 })],
    result.forwardMs,
  );
}

export function longSession(t: number): InspectorSession {
  const result = attentionResult(Array.from({ length: t }, (_, i) => `t${i}`), 2, 4);
  return new InspectorSession({ docId: nextDocId++, title: `long:${t}`, modelName: 'fixture' }, [sectionFromResult(result)], result.forwardMs);
}

export const SOURCE_TOKENS = ['Open', ' the', ' file'];
export const TARGET_TOKENS = ['Öffne', ' die', ' Datei'];

export function translationSession(): InspectorSession {
  const source = spans(SOURCE_TOKENS);
  const target = spans(TARGET_TOKENS);
  // cross: [1 layer, 2 heads, 3 target, 3 source]: head 0 diagonal, head 1 uniform
  const cross = new Float32Array(2 * 3 * 3);
  for (let r = 0; r < 3; r++) {
    cross[r * 3 + r] = 1;
    for (let k = 0; k < 3; k++) cross[9 + r * 3 + k] = 1 / 3;
  }
  const ta: TranslationAttention = {
    id: 1,
    sourceTokens: source,
    targetTokens: target,
    sourceText: SOURCE_TOKENS.join(''),
    targetText: TARGET_TOKENS.join(''),
    cross: flatBlock({ layers: [0], heads: [0, 1], rows: [0, 1, 2], keys: 3, data: cross }),
    totalLayers: 1,
    totalHeads: 2,
  };
  const encoder = attentionResult(SOURCE_TOKENS, 1, 2);
  return inspectTranslation(ta, { docId: nextDocId++, title: 'Translation', modelName: 'fixture-mt' }, { ...encoder, kind: 'encoder' });
}
