// The KV cache's ownership of GPU tensors, with fake tensors that count their dispose() calls: a
// cache disposes what it holds exactly once, a GPU cache truncated without a device is read through
// getData() (the download) and comes back on the CPU, and generation over a model whose every pass
// returns "GPU" present tensors leaves none alive but the stored cache's — nor after a failed pass.
// Cutting on the GPU (gpuTruncate.ts) runs against a device whose buffers are byte arrays.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import type { DecoderModel, ForwardOptions, ForwardResult } from '../../../src/engine/decoderModel';
import { DecoderGenerator } from '../../../src/engine/generate';
import { disposeGpuTensors, disposeUnkept } from '../../../src/engine/gpuTensors';
import { gpuCacheCut } from '../../../src/engine/gpuTruncate';
import { KvCache, type KvLayout, succeed } from '../../../src/engine/kvCache';
import type { OrtTensor } from '../../../src/engine/onnx';
import type { ModelTokenizer } from '../../../src/engine/tokenizer';
import type { GpuDeviceLike } from '../../../src/engine/webgpuDevice';

const layout: KvLayout = {
  pastNames: ['past_key_values.0.key', 'past_key_values.0.value'],
  presentNames: ['present.0.key', 'present.0.value'],
  kvHeads: 2,
  headDim: 3,
  dtype: 'float32',
};

/** GPU tensors alive (created, not yet disposed), and every dispose() call, by tensor. */
class FakeGpu {
  readonly live = new Set<FakeGpuTensor>();
  readonly disposals = new Map<FakeGpuTensor, number>();
  downloads = 0;

  /** [1, kvHeads, length, headDim]; value = 100·head + 10·position + dim */
  tensor(length: number): OrtTensor {
    const t = new FakeGpuTensor(this, length);
    this.live.add(t);
    return t as unknown as OrtTensor;
  }
}

class FakeGpuTensor {
  readonly type = 'float32';
  /** As onnxruntime's: 'cpu' once getData() has downloaded it (its GPU buffer is still held). */
  location = 'gpu-buffer';
  readonly dims: readonly number[];
  constructor(
    private readonly gpu: FakeGpu,
    private readonly length: number,
  ) {
    this.dims = [1, layout.kvHeads, length, layout.headDim];
  }
  get data(): never {
    throw new Error('a GPU tensor has no CPU data: read it with getData()');
  }
  async getData(): Promise<Float32Array> {
    this.gpu.downloads++;
    this.location = 'cpu';
    const data = new Float32Array(layout.kvHeads * this.length * layout.headDim);
    for (let h = 0; h < layout.kvHeads; h++) for (let p = 0; p < this.length; p++) for (let d = 0; d < layout.headDim; d++) data[(h * this.length + p) * layout.headDim + d] = 100 * h + 10 * p + d;
    return data;
  }
  dispose(): void {
    this.gpu.disposals.set(this, (this.gpu.disposals.get(this) ?? 0) + 1);
    this.gpu.live.delete(this);
  }
}

function presents(gpu: FakeGpu, length: number): Record<string, OrtTensor> {
  return Object.fromEntries(layout.presentNames.map((name) => [name, gpu.tensor(length)]));
}

describe('KV cache on the GPU: ownership', () => {
  it('a cache disposes its GPU tensors once, however often it is dropped', () => {
    const gpu = new FakeGpu();
    const cache = KvCache.empty(ort, layout).advanced(presents(gpu, 4), [1, 2, 3, 4]);
    assert.equal(cache.onGpu, true);
    assert.equal(gpu.live.size, 2);
    cache.dispose();
    cache.dispose();
    assert.equal(gpu.live.size, 0);
    assert.deepEqual([...gpu.disposals.values()], [1, 1], 'each tensor disposed exactly once');
    assert.throws(() => cache.feeds(), /disposed KV cache/);
  });

  it('an empty (CPU) cache has nothing to dispose', () => {
    const cache = KvCache.empty(ort, layout);
    assert.equal(cache.onGpu, false);
    cache.dispose();
    assert.equal(disposeGpuTensors(KvCache.empty(ort, layout).tensors), 0);
  });

  it('truncating a GPU cache downloads it and returns a CPU copy; the source stays alive until disposed', async () => {
    const gpu = new FakeGpu();
    const full = KvCache.empty(ort, layout).advanced(presents(gpu, 4), [5, 6, 7, 8]);
    const cut = await full.truncated(2);
    assert.equal(gpu.downloads, 2);
    assert.equal(cut.onGpu, false);
    assert.deepEqual(cut.tensors[0]?.dims, [1, 2, 2, 3]); // [1, kvHeads, keep, headDim]
    assert.deepEqual([...(cut.tensors[0]?.data as Float32Array)], [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    assert.equal(gpu.live.size, 2, 'the source is untouched');
    assert.equal(succeed(full, cut), cut);
    assert.equal(gpu.live.size, 0, 'succeed() disposed the source');
    assert.equal(succeed(cut, cut), cut, 'a cache that succeeds itself is kept');
    assert.deepEqual(cut.feeds()['past_key_values.0.key']?.dims, [1, 2, 2, 3]);
  });

  it('outputs no cache took are disposed; the kept ones are not', () => {
    const gpu = new FakeGpu();
    const outputs: Record<string, OrtTensor> = { ...presents(gpu, 1), logits: new ort.Tensor('float32', new Float32Array(4), [1, 1, 4]) }; // logits: [1, 1, vocab]
    const kept = [outputs['present.0.key'] as OrtTensor];
    assert.equal(disposeUnkept(outputs, kept), 1);
    assert.equal(gpu.live.size, 1);
    assert.equal([...gpu.live][0], kept[0], 'the one alive is the kept one');
  });
});

/**
 * A DecoderModel stand-in: each pass returns fresh "GPU" present tensors of the new length and
 * logits that choose token (last input + 1) % 8; `failAt` makes that pass throw.
 */
function fakeModel(gpu: FakeGpu, failAt = -1): { model: DecoderModel; passes: () => number } {
  let passes = 0;
  const model = {
    config: { vocabSize: 8 },
    emptyCache: () => KvCache.empty(ort, layout),
    async forward(cache: KvCache, ids: readonly number[], options: ForwardOptions = {}): Promise<ForwardResult> {
      cache.feeds(); // a disposed cache fed to a pass throws here
      if (passes++ === failAt) throw new Error('the pass failed');
      const rows = Math.max(1, options.lastRows ?? 1);
      const logits = new Float32Array(rows * 8);
      for (let r = 0; r < rows; r++) logits[r * 8 + (((ids[ids.length - rows + r] as number) + 1) % 8)] = 1;
      return { lastLogits: logits.subarray((rows - 1) * 8), rows: logits, cache: cache.advanced(presents(gpu, cache.length + ids.length), ids) };
    },
  };
  return { model: model as unknown as DecoderModel, passes: () => passes };
}

const tokenizer = { decode: (ids: readonly number[]) => ids.join(' ') } as unknown as ModelTokenizer;

function request(promptIds: number[], extra: { reusePrefix?: boolean; maxNewTokens?: number } = {}) {
  return { promptIds, maxNewTokens: extra.maxNewTokens ?? 5, eosTokenIds: [], useKvCache: true, reusePrefix: extra.reusePrefix ?? true, captureAttention: false };
}

describe('generation over a GPU cache: nothing leaks', () => {
  it('only the stored cache stays alive after each request, with prefix reuse, without, and chunked prefill', async () => {
    const gpu = new FakeGpu();
    const generator = new DecoderGenerator(fakeModel(gpu).model, tokenizer);
    for (let i = 0; i < 20; i++) {
      const out = await generator.generate({ ...request([1, 2, 3, i % 4], { reusePrefix: i % 3 !== 0 }), prefillChunk: 2 });
      assert.equal(out.tokens.length, 5);
      assert.equal(gpu.live.size, layout.presentNames.length, `after request ${i}: only the stored cache's tensors`);
      assert.equal(generator.cachedState.onGpu, true, 'the stored cache is the last pass\'s, on the GPU');
    }
    assert.ok([...gpu.disposals.values()].every((n) => n === 1), 'no tensor disposed twice');
    generator.dispose();
    assert.equal(gpu.live.size, 0, 'dispose() releases the stored cache');
  });

  it('a pass that fails mid-request disposes the cache it held', async () => {
    const gpu = new FakeGpu();
    const fake = fakeModel(gpu, 3);
    const generator = new DecoderGenerator(fake.model, tokenizer);
    await assert.rejects(generator.generate(request([1, 2, 3])), /the pass failed/);
    generator.reset();
    assert.equal(gpu.live.size, 0);
    assert.ok([...gpu.disposals.values()].every((n) => n === 1));
  });

  it('the recomputing reference path keeps no cache', async () => {
    const gpu = new FakeGpu();
    const generator = new DecoderGenerator(fakeModel(gpu).model, tokenizer);
    await generator.generate({ ...request([1, 2]), useKvCache: false });
    assert.equal(gpu.live.size, 0);
  });
});

/** A device whose buffers are byte arrays: copies and read-backs as WebGPU would do them. */
class BytesDevice {
  created = 0;
  destroyed = 0;
  /** The size of each buffer created, in order. */
  readonly sizes: number[] = [];
  readonly queue = { submit: (commands: unknown[]) => commands.forEach((run) => (run as () => void)()) };
  createBuffer(descriptor: { size: number; usage: number }): { bytes: Uint8Array; mapAsync(): Promise<void>; getMappedRange(): ArrayBuffer; destroy(): void } {
    this.created++;
    this.sizes.push(descriptor.size);
    const bytes = new Uint8Array(descriptor.size);
    return { bytes, mapAsync: async () => undefined, getMappedRange: () => bytes.buffer, destroy: () => void this.destroyed++ };
  }
  createCommandEncoder() {
    const copies: (() => void)[] = [];
    return {
      copyBufferToBuffer: (from: { bytes: Uint8Array }, fromOffset: number, to: { bytes: Uint8Array }, toOffset: number, size: number) => {
        assert.equal(size % 4, 0, 'WebGPU copies whole words');
        assert.ok(fromOffset + size <= from.bytes.length && toOffset + size <= to.bytes.length, 'WebGPU copies within both buffers');
        copies.push(() => to.bytes.set(from.bytes.subarray(fromOffset, fromOffset + size), toOffset));
      },
      finish: () => () => copies.forEach((copy) => copy()),
    };
  }
}

describe('cutting a GPU cache on the GPU', () => {
  it('copies each head’s first rows buffer to buffer; the copy downloads right and destroys its buffer on dispose', async () => {
    const device = new BytesDevice();
    // [1, kvHeads=2, length=4, headDim=3]; value = 100·head + 10·position + dim, in a "GPU buffer"
    const values = Float32Array.from({ length: 24 }, (_, i) => 100 * Math.floor(i / 12) + 10 * Math.floor((i % 12) / 3) + (i % 3));
    const source = device.createBuffer({ size: values.byteLength, usage: 0 });
    source.bytes.set(new Uint8Array(values.buffer));
    const tensor = ort.Tensor.fromGpuBuffer(source as never, { dataType: 'float32', dims: [1, 2, 4, 3] }) as OrtTensor;
    const cut = gpuCacheCut(ort, async () => device as unknown as GpuDeviceLike);
    const kept = (await cut(tensor, 2)) as OrtTensor;
    assert.equal(kept.location, 'gpu-buffer');
    assert.deepEqual(kept.dims, [1, 2, 2, 3]); // [1, kvHeads, keep, headDim]
    assert.deepEqual([...((await kept.getData()) as Float32Array)], [0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    const before = device.destroyed;
    kept.dispose();
    assert.equal(device.destroyed, before + 1, 'its buffer destroyed');
    const odd = ort.Tensor.fromGpuBuffer(source as never, { dataType: 'float16', dims: [1, 1, 4, 1] }) as OrtTensor;
    assert.equal(await cut(odd, 2), undefined, 'an fp16 row of one element is not a whole word: cut on the CPU instead');
  });

  it('sizes the copy to its bytes rounded up to 16, reads back only those bytes, and destroys the staging buffer', async () => {
    const device = new BytesDevice();
    const values = Float32Array.from({ length: 24 }, (_, i) => i);
    const source = device.createBuffer({ size: values.byteLength, usage: 0 });
    source.bytes.set(new Uint8Array(values.buffer));
    const tensor = ort.Tensor.fromGpuBuffer(source as never, { dataType: 'float32', dims: [1, 2, 4, 3] }) as OrtTensor;
    const kept = (await gpuCacheCut(ort, async () => device as unknown as GpuDeviceLike)(tensor, 1)) as OrtTensor;
    assert.deepEqual([...((await kept.getData()) as Float32Array)], [0, 1, 2, 12, 13, 14]);
    assert.deepEqual(device.sizes, [96, 32, 32], 'source, copy (24 bytes → 32), staging');
    assert.equal(device.destroyed, 1, 'the staging buffer, once read');
  });

  it('cuts an fp16 cache and downloads it as fp16 bits', async () => {
    const device = new BytesDevice();
    // [1, kvHeads=2, length=3, headDim=2] of fp16 bit patterns 0…11
    const values = Uint16Array.from({ length: 12 }, (_, i) => i);
    const source = device.createBuffer({ size: values.byteLength, usage: 0 });
    source.bytes.set(new Uint8Array(values.buffer));
    const tensor = ort.Tensor.fromGpuBuffer(source as never, { dataType: 'float16', dims: [1, 2, 3, 2] }) as OrtTensor;
    const kept = (await gpuCacheCut(ort, async () => device as unknown as GpuDeviceLike)(tensor, 2)) as OrtTensor;
    assert.deepEqual(kept.dims, [1, 2, 2, 2]);
    const data = await kept.getData();
    assert.ok(data instanceof Uint16Array, `fp16 bits, not ${data.constructor.name}`);
    assert.deepEqual([...data], [0, 1, 2, 3, 6, 7, 8, 9]);
  });

  it('leaves to the CPU a tensor that is not fp16 or fp32, or not on the GPU', async () => {
    const device = new BytesDevice();
    const cut = gpuCacheCut(ort, async () => device as unknown as GpuDeviceLike);
    const source = device.createBuffer({ size: 96, usage: 0 });
    assert.equal(await cut(ort.Tensor.fromGpuBuffer(source as never, { dataType: 'int32', dims: [1, 2, 4, 3] }) as OrtTensor, 2), undefined, 'int32');
    assert.equal(await cut(new ort.Tensor('float32', new Float32Array(24), [1, 2, 4, 3]) as OrtTensor, 2), undefined, 'a CPU tensor');
    assert.equal(device.created, 1, 'no buffer made for either');
  });
});
