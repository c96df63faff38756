// A decoder made in the test: its next token is a fixed function of the sequence, its KV cache
// holds each position's own id (every pass checks that the cache it is given holds exactly the ids
// it claims), and its clock advances 10 ms per pass. Stands in for DecoderModel where a test needs
// exact passes, caches and timings rather than a real model's numbers.
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-web';
import type { ForwardOptions, ForwardResult } from '../../../src/engine/decoderModel';
import { KvCache, type KvLayout } from '../../../src/engine/kvCache';
import type { Ort } from '../../../src/engine/onnx';
import type { ModelTokenizer } from '../../../src/engine/tokenizer';

/** Token ids 0–9 and their text; 9 ends a sequence. */
export const ALPHABET = ['\n', ' ', 'a', 'b', 'c', 'd', 'e', 'f', 'g', '<end>'];
export const END = 9;
export const ids = (text: string): number[] => [...text].map((c) => ALPHABET.indexOf(c));
/** Each token's successor: e f g \n ␠ a b c d a b c d … */
export const CYCLE: Readonly<Record<number, number>> = { 0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 2, 6: 7, 7: 8, 8: 0, 9: 9 };
export const HEADS = 2;

export const tokenizer = { decode: (tokens: readonly number[]) => tokens.map((t) => ALPHABET[t] ?? '?').join('') } as unknown as ModelTokenizer;

const layout: KvLayout = { pastNames: ['past_key_values.0.key'], presentNames: ['present.0.key'], kvHeads: 1, headDim: 1, dtype: 'float32' };

interface Pass {
  /** Cached positions the pass was given. */
  readonly past: number;
  readonly fed: readonly number[];
  readonly lastRows: number;
}

/** The model: `next(sequence)` is the token after it (greedy's choice); each pass costs 10 ms of `clock`. */
export class FakeModel {
  readonly passes: Pass[] = [];
  /** Milliseconds; not 0 at the start, so that a time and a difference of times differ. */
  clock = 1000;
  /** Called at the start of every pass (to abort from inside one, or to fail it by throwing). */
  onPass?: (pass: Pass) => void;

  /** What ModelDrafter reads of a DecoderModel's config. */
  readonly config = { vocabSize: ALPHABET.length };
  disposed = 0;

  /**
   * `next(sequence)` gets logit 1 in each row, `runnerUp(sequence)` (if given) 0.8, every other
   * token 0: a repetition penalty of 1.5 on the first makes greedy choose the second.
   */
  constructor(
    private readonly next: (sequence: readonly number[]) => number = (s) => CYCLE[s[s.length - 1] as number] as number,
    private readonly runnerUp?: (sequence: readonly number[]) => number,
  ) {}

  async dispose(): Promise<void> {
    this.disposed++;
  }

  emptyCache(): KvCache {
    return KvCache.empty(ort as unknown as Ort, layout);
  }

  async forward(cache: KvCache, fed: readonly number[], options: ForwardOptions = {}): Promise<ForwardResult> {
    // The cache must hold what it says: position i's key is ids[i].
    const held = [...((cache.tensors[0] as ort.Tensor).data as Float32Array)];
    assert.deepEqual(held, [...cache.ids], 'the KV cache holds its ids');
    const pass = { past: cache.length, fed: [...fed], lastRows: options.lastRows ?? 1 };
    this.passes.push(pass);
    this.onPass?.(pass);
    this.clock += 10;
    const sequence = [...cache.ids, ...fed];
    const rows = new Float32Array(pass.lastRows * ALPHABET.length); // [lastRows, vocab]
    for (let r = 0; r < pass.lastRows; r++) {
      const before = sequence.slice(0, sequence.length - pass.lastRows + r + 1);
      if (this.runnerUp) rows[r * ALPHABET.length + this.runnerUp(before)] = 0.8;
      rows[r * ALPHABET.length + this.next(before)] = 1;
    }
    const present = new ort.Tensor('float32', Float32Array.from(sequence), [1, 1, sequence.length, 1]);
    const result: ForwardResult = {
      lastLogits: rows.slice((pass.lastRows - 1) * ALPHABET.length),
      rows,
      cache: cache.advanced({ 'present.0.key': present as never }, fed),
    };
    if (!options.attention) return result;
    // [1, heads, fed, keys]: head·10,000 + query position·100 + key
    const data = new Float32Array(HEADS * fed.length * sequence.length);
    for (let h = 0; h < HEADS; h++) for (let q = 0; q < fed.length; q++) for (let k = 0; k < sequence.length; k++) data[(h * fed.length + q) * sequence.length + k] = h * 10_000 + (cache.length + q) * 100 + k;
    return { ...result, attentions: [new ort.Tensor('float32', data, [1, HEADS, fed.length, sequence.length]) as never] };
  }
}

