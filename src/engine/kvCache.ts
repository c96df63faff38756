// The KV cache of one sequence: for every layer a key and a value tensor
// [1, kvHeads, length, headDim], plus the token ids whose keys/values it holds, so a later prompt
// can reuse the longest common prefix and prefill only the rest.
import type { Ort, OrtTensor } from './onnx';

export interface KvLayout {
  /** Input names per layer, e.g. past_key_values.3.key (or .decoder.key for seq2seq decoders). */
  readonly pastNames: readonly string[];
  /** Matching output names, present.3.key … in the same order as pastNames. */
  readonly presentNames: readonly string[];
  readonly kvHeads: number;
  readonly headDim: number;
  readonly dtype: 'float32' | 'float16';
}

type KvData = Float32Array | Uint16Array;

export class KvCache {
  private constructor(
    private readonly ort: Ort,
    readonly layout: KvLayout,
    /** One tensor per past name: [1, kvHeads, length, headDim] */
    readonly tensors: readonly OrtTensor[],
    /** Ids whose keys/values are cached, in order; length === sequence length of the tensors. */
    readonly ids: readonly number[],
  ) {}

  static empty(ort: Ort, layout: KvLayout): KvCache {
    const tensors = layout.pastNames.map(() => emptyTensor(ort, layout));
    return new KvCache(ort, layout, tensors, []);
  }

  get length(): number {
    return this.ids.length;
  }

  /** Feeds for the next run: past_key_values.* → tensors. */
  feeds(): Record<string, OrtTensor> {
    const feeds: Record<string, OrtTensor> = {};
    this.layout.pastNames.forEach((name, i) => {
      feeds[name] = this.tensors[i] as OrtTensor;
    });
    return feeds;
  }

  /** The cache after a run that appended `newIds`: the run's present.* outputs. */
  advanced(outputs: Record<string, OrtTensor>, newIds: readonly number[]): KvCache {
    const tensors = this.layout.presentNames.map((name) => {
      const tensor = outputs[name];
      if (!tensor) throw new Error(`the model did not return ${name}`);
      return tensor;
    });
    return new KvCache(this.ort, this.layout, tensors, [...this.ids, ...newIds]);
  }

  /** The cache cut back to its first `keep` positions (a copy; the source is untouched). */
  truncated(keep: number): KvCache {
    if (keep >= this.length) return this;
    if (keep <= 0) return KvCache.empty(this.ort, this.layout);
    const { kvHeads, headDim } = this.layout;
    const length = this.length;
    const tensors = this.tensors.map((tensor) => {
      const source = tensor.data as KvData;
      // [1, kvHeads, length, headDim] → [1, kvHeads, keep, headDim]: copy each head's first rows.
      const target = new (source.constructor as new (n: number) => KvData)(kvHeads * keep * headDim);
      for (let h = 0; h < kvHeads; h++) {
        target.set(source.subarray(h * length * headDim, (h * length + keep) * headDim), h * keep * headDim);
      }
      return new this.ort.Tensor(this.layout.dtype, target, [1, kvHeads, keep, headDim]);
    });
    return new KvCache(this.ort, this.layout, tensors, this.ids.slice(0, keep));
  }
}

function emptyTensor(ort: Ort, layout: KvLayout): OrtTensor {
  const data = layout.dtype === 'float16' ? new Uint16Array(0) : new Float32Array(0);
  return new ort.Tensor(layout.dtype, data, [1, layout.kvHeads, 0, layout.headDim]);
}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
