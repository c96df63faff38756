// What input/output discovery reads from an exported graph, shared by the decoder-only
// (decoderModel.ts) and the encoder-decoder (seq2seq/io.ts) discovery: names by layer, each
// past_key_values.* input's present.* output, and the KV cache's heads, head size and element type
// as the graph declares them. The exporter conventions themselves (which names, which patterns)
// stay with each discovery.
import { inputInfo, type OrtSession, type TensorShapeInfo } from './onnx';

/** A graph's inputs and outputs: from an open session, or read from the ONNX file before any opens. */
export interface GraphIo {
  readonly inputs: readonly TensorShapeInfo[];
  readonly outputNames: readonly string[];
}

export function sessionIo(session: OrtSession): GraphIo {
  return { inputs: inputInfo(session), outputNames: session.outputNames };
}

/**
 * The names `pattern` matches, in layer order (its first group is the layer) and, within a layer,
 * key before value (its last group, when it has more than one).
 */
export function namesByLayer(names: readonly string[], pattern: RegExp): string[] {
  return names
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((x): x is { name: string; match: RegExpExecArray } => x.match !== null)
    .sort((a, b) => Number(a.match[1]) - Number(b.match[1]) || (a.match.at(-1) ?? '').localeCompare(b.match.at(-1) ?? ''))
    .map((x) => x.name);
}

/** Per-layer outputs (attentions.{i}, cross_attentions.{i}…): every layer's, or none when one is missing. */
export function everyLayer(names: readonly string[], pattern: RegExp, layers: number): string[] {
  const found = namesByLayer(names, pattern);
  return found.length === layers ? found : [];
}

/** The present.* output that matches each past_key_values.* input, and those the graph lacks. */
export function presentOutputs(past: readonly string[], outputNames: readonly string[]): { readonly present: string[]; readonly missing: string[] } {
  const present = past.map((name) => name.replace('past_key_values.', 'present.'));
  return { present, missing: present.filter((name) => !outputNames.includes(name)) };
}

export interface CacheShape {
  readonly heads: number;
  readonly headDim: number;
  readonly dtype: 'float32' | 'float16';
}

/**
 * Heads, head size and element type of a KV cache from its first input, shaped [batch, heads,
 * past, headDim]: the graph's own dims win over config.json, whose figures (`fallback`) stand in
 * where the graph leaves a dim symbolic or there is no cache input at all.
 */
export function cacheShape(inputs: readonly TensorShapeInfo[], firstPast: string | undefined, fallback: Omit<CacheShape, 'dtype'>): CacheShape {
  const first = inputs.find((i) => i.name === firstPast);
  const shape = first?.shape ?? [];
  return {
    heads: typeof shape[1] === 'number' ? shape[1] : fallback.heads,
    headDim: typeof shape[3] === 'number' ? shape[3] : fallback.headDim,
    dtype: first?.type === 'float16' ? 'float16' : 'float32',
  };
}
