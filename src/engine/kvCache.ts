// The KV cache of one sequence: for every layer a key and a value tensor
// [1, kvHeads, length, headDim], plus the token ids whose keys/values it holds, so a later prompt
// can reuse the longest common prefix and prefill only the rest.
//
// On WebGPU the tensors are GPU buffers (the previous pass's present.* outputs, kept there with
// preferredOutputLocation 'gpu-buffer') that the next pass reads in place: nothing crosses to the
// CPU while decoding. A cache owns its GPU tensors: whoever drops a cache disposes it, once
// (dispose() is idempotent), and a cache passed to forward() stays the caller's to dispose.
import { onGpu, readTensor } from './gpuTensors';
import type { GpuCacheCut } from './gpuTruncate';
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
  private disposed = false;
  /**
   * Its tensors that onnxruntime created on the GPU, listed when the cache is made: a tensor read
   * with getData() says 'cpu' from then on, yet still holds its GPU buffer until disposed.
   */
  private readonly owned: readonly OrtTensor[];

  private constructor(
    private readonly ort: Ort,
    readonly layout: KvLayout,
    /** One tensor per past name: [1, kvHeads, length, headDim] */
    readonly tensors: readonly OrtTensor[],
    /** Ids whose keys/values are cached, in order; length === sequence length of the tensors. */
    readonly ids: readonly number[],
    /** Cuts a GPU tensor on the GPU (WebGPU); without it, or where it declines, the cut is made on the CPU. */
    private readonly gpuCut?: GpuCacheCut,
  ) {
    this.owned = tensors.filter(onGpu);
  }

  static empty(ort: Ort, layout: KvLayout, gpuCut?: GpuCacheCut): KvCache {
    const tensors = layout.pastNames.map(() => emptyTensor(ort, layout));
    return new KvCache(ort, layout, tensors, [], gpuCut);
  }

  get length(): number {
    return this.ids.length;
  }

  /** Whether any of its tensors is a GPU buffer (it then must be disposed when dropped). */
  get onGpu(): boolean {
    return this.owned.length > 0;
  }

  /** Feeds for the next run: past_key_values.* → tensors. */
  feeds(): Record<string, OrtTensor> {
    if (this.disposed) throw new Error('a disposed KV cache was fed to a pass');
    const feeds: Record<string, OrtTensor> = {};
    this.layout.pastNames.forEach((name, i) => {
      feeds[name] = this.tensors[i] as OrtTensor;
    });
    return feeds;
  }

  /**
   * The cache after a run that appended `newIds`: the run's present.* outputs, which the new cache
   * owns. This cache is left as it was (the caller disposes it when it no longer needs it).
   */
  advanced(outputs: Record<string, OrtTensor>, newIds: readonly number[]): KvCache {
    const tensors = this.layout.presentNames.map((name) => {
      const tensor = outputs[name];
      if (!tensor) throw new Error(`the model did not return ${name}`);
      return tensor;
    });
    return new KvCache(this.ort, this.layout, tensors, [...this.ids, ...newIds], this.gpuCut);
  }

  /**
   * The cache cut back to its first `keep` positions: itself when nothing is cut, else a copy (the
   * source is untouched and still the caller's to dispose). A GPU cache is cut on the GPU where
   * `gpuCut` can (gpuTruncate.ts: one buffer copy per head, nothing crosses the bus). Otherwise it
   * is downloaded whole, sliced, and uploaded again by the next pass that reads it: the kept keys and
   * values cross the bus twice (a 0.5B fp16 model at 1,024 tokens: 24 layers × 2 × 2 heads × 1,024
   * × 64 × 2 bytes = 12.6 MB each way). Cuts happen once per request that reuses a prefix and after
   * each speculative pass that rejects a draft, never per decoded token.
   */
  async truncated(keep: number): Promise<KvCache> {
    if (keep >= this.length) return this;
    if (keep <= 0) return KvCache.empty(this.ort, this.layout, this.gpuCut);
    const onDevice = await this.cutOnGpu(keep);
    if (onDevice) return new KvCache(this.ort, this.layout, onDevice, this.ids.slice(0, keep), this.gpuCut);
    const { kvHeads, headDim } = this.layout;
    const length = this.length;
    const tensors = await Promise.all(
      this.tensors.map(async (tensor) => {
        const source = (await readTensor(tensor)) as KvData;
        // [1, kvHeads, length, headDim] → [1, kvHeads, keep, headDim]: copy each head's first rows.
        const target = new (source.constructor as new (n: number) => KvData)(kvHeads * keep * headDim);
        for (let h = 0; h < kvHeads; h++) {
          target.set(source.subarray(h * length * headDim, (h * length + keep) * headDim), h * keep * headDim);
        }
        return new this.ort.Tensor(this.layout.dtype, target, [1, kvHeads, keep, headDim]);
      }),
    );
    return new KvCache(this.ort, this.layout, tensors, this.ids.slice(0, keep), this.gpuCut);
  }

  /** Every tensor cut on the GPU, or undefined (then none is: the copies made are released). */
  private async cutOnGpu(keep: number): Promise<OrtTensor[] | undefined> {
    const cut = this.gpuCut;
    if (!cut || !this.tensors.every(onGpu)) return undefined;
    const tensors = await Promise.all(this.tensors.map((tensor) => cut(tensor, keep)));
    if (tensors.every((t): t is OrtTensor => t !== undefined)) return tensors;
    for (const tensor of tensors) tensor?.dispose();
    return undefined;
  }

  /** Releases its GPU tensors (none on the CPU backends); later calls do nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const tensor of this.owned) tensor.dispose();
  }
}

/**
 * Replaces a cache by the one that follows it and disposes the old one unless it is the same
 * object (truncated() returns itself when nothing is cut). Returns `next`.
 */
export function succeed(previous: KvCache, next: KvCache): KvCache {
  if (previous !== next) previous.dispose();
  return next;
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
