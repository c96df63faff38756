// The short measurement `auto` chooses a backend by, also what `tealeaf bench --backends` reports:
// one fixed greedy request, timed after a warm-up (the first run of a session pays one-time costs:
// WebAssembly tier-up, allocator growth), and the tokens it produced, which every backend must
// reproduce exactly before it may be chosen.
import type { Engine, EnginePurpose } from '../engine/types';

/** Ordinary code: about 130 tokens for a code model's tokenizer, of which the probe takes PROBE_PROMPT_TOKENS. */
const PROBE_PROMPT = `import { readFileSync } from 'node:fs';

/** Counts the words of a file, ignoring case. */
export function wordCounts(file: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const word of readFileSync(file, 'utf8').toLowerCase().split(/\\W+/)) {
    if (word === '') continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

export function mostFrequent(counts: Map<string, number>, n: number): string[] {
  return [...counts.entries()]
`;

const PROBE_SENTENCE = 'The file could not be opened because another program is using it.';

/** Tokens a probe generates: about a short suggestion. */
export const PROBE_NEW_TOKENS = 16;

/**
 * Prompt tokens of the probe: about what a keystroke prefills once the prefix is reused, and short
 * enough for exports whose rotary cache is shorter than their declared window.
 */
export const PROBE_PROMPT_TOKENS = 64;

/** Timed runs after the warm-up; the fastest counts (the machine's load only ever adds time). */
const TIMED_RUNS = 2;

async function timed<T>(runs: number, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await run());
  return results;
}

function fastest<T>(results: readonly T[], ms: (result: T) => number): T {
  return results.reduce((best, r) => (ms(r) < ms(best) ? r : best));
}

export interface ProbeResult {
  /** What the model generated, to compare across backends (or, for an attention probe, each head's strongest key). */
  readonly tokens: readonly number[];
  /** What `tokens` are, for the reason given: default 'tokens'. */
  readonly compared?: string;
  /** Tokens of the prompt or source. */
  readonly promptTokens: number;
  /** Decoder models: the prefill and the mean decode step. */
  readonly prefillMs?: number;
  readonly decodeMsPerToken?: number;
  /** The number compared: a decoder's prefill plus PROBE_NEW_TOKENS decode steps; a translation's time. */
  readonly ms: number;
}

/** An engine opened for the inspector alone cannot generate: its probe is an attention pass. */
export async function probeEngine(engine: Engine, purpose: EnginePurpose = 'all'): Promise<ProbeResult> {
  if (engine.info.kind !== 'decoder') return probeTranslation(engine);
  return purpose === 'inspector' ? probeAttention(engine) : probeDecoder(engine);
}

async function probeDecoder(engine: Engine): Promise<ProbeResult> {
  const spans = await engine.tokenize(PROBE_PROMPT);
  // Within the model's window, with room for the new tokens.
  const keep = Math.max(1, Math.min(spans.length, PROBE_PROMPT_TOKENS, engine.info.maxPositions - PROBE_NEW_TOKENS - 2));
  const prompt = PROBE_PROMPT.slice(0, spans[keep - 1]?.end ?? PROBE_PROMPT.length);
  const request = { prompt, maxNewTokens: PROBE_NEW_TOKENS, reusePrefix: false, useKvCache: true };
  await engine.generate(request);
  const result = fastest(await timed(TIMED_RUNS, () => engine.generate(request)), (r) => r.prefillMs + PROBE_NEW_TOKENS * r.decodeMsPerToken);
  return {
    tokens: result.tokens,
    promptTokens: result.promptTokens,
    prefillMs: result.prefillMs,
    decodeMsPerToken: result.decodeMsPerToken,
    ms: result.prefillMs + PROBE_NEW_TOKENS * result.decodeMsPerToken,
  };
}

/**
 * The attention of the probe prompt. What must agree across backends, in place of generated tokens:
 * the key each head's last query attends to most.
 */
async function probeAttention(engine: Engine): Promise<ProbeResult> {
  const spans = await engine.tokenize(PROBE_PROMPT);
  const keep = Math.max(2, Math.min(spans.length, PROBE_PROMPT_TOKENS, engine.info.maxPositions));
  const request = { text: PROBE_PROMPT.slice(0, spans[keep - 1]?.end ?? PROBE_PROMPT.length), withStats: false };
  await engine.attention(request);
  const result = fastest(await timed(TIMED_RUNS, () => engine.attention(request)), (r) => r.forwardMs);
  const { keys, rows, layerData } = result.attention;
  const tokens = layerData.flatMap((layer) => lastRowArgmax(layer, rows.length, keys)); // layer: [heads, rows, keys]
  return { tokens, compared: 'attention peaks', promptTokens: result.tokens.length, ms: result.forwardMs };
}

/** Per head of a [heads, rows, keys] block: the key its last row weighs most. */
function lastRowArgmax(layer: Float32Array, rows: number, keys: number): number[] {
  const heads = layer.length / (rows * keys);
  const best: number[] = [];
  for (let h = 0; h < heads; h++) {
    const start = (h * rows + rows - 1) * keys;
    let at = 0;
    for (let k = 1; k < keys; k++) if ((layer[start + k] as number) > (layer[start + at] as number)) at = k;
    best.push(at);
  }
  return best;
}

async function probeTranslation(engine: Engine): Promise<ProbeResult> {
  const pair = engine.info.translationPairs?.[0] ?? { from: engine.info.languages?.[0] ?? 'en', to: engine.info.languages?.[1] ?? 'de' };
  const request = { text: PROBE_SENTENCE, from: pair.from, to: pair.to, beams: 1 };
  await engine.translate(request);
  const result = fastest(await timed(TIMED_RUNS, () => engine.translate(request)), (r) => r.ms);
  return { tokens: result.tokens, promptTokens: (await engine.tokenize(PROBE_SENTENCE)).length, ms: result.ms };
}
