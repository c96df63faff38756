// Wide MatMulNBits products cut into column blocks: on a real q4 export (weights inline, and left on
// disk as external data) the cut graph computes the logits of the whole one; hand-built graphs show
// what is left whole, and that sessions on WebAssembly — only there — get the cut graph.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { createSession, type Ort, type Runtime } from '../../../src/engine/onnx';
import { externalizeInitializers } from '../../../src/engine/onnxExternalize';
import { summarizeOnnx } from '../../../src/engine/onnxProto';
import { MAX_PRODUCT_TEMP_BYTES, splitWideProducts } from '../../../src/engine/onnxSplitProducts';
import { LazyFileBytes } from '../../../src/host/lazyFileBytes';
import { bareSessionLogits, FIXTURES } from './helpers';
import { bytesField, message, varintField } from './protobufWriter';

const Q4 = path.join(FIXTURES, 'hub-qwen2.5-coder', 'onnx', 'model_q4.onnx');

/** The N attribute of each MatMulNBits in the main graph, in order. */
function productWidths(model: Uint8Array): number[] {
  const widths: number[] = [];
  const graph = [...readFields(model)].find((f) => f.number === 7)?.bytes as Uint8Array;
  for (const node of readFields(graph)) {
    if (node.number !== 1 || !node.bytes) continue;
    const parts = [...readFields(node.bytes)];
    if (new TextDecoder().decode(parts.find((p) => p.number === 4)?.bytes) !== 'MatMulNBits') continue;
    for (const attribute of parts.filter((p) => p.number === 5)) {
      const inner = [...readFields(attribute.bytes as Uint8Array)];
      if (new TextDecoder().decode(inner.find((p) => p.number === 1)?.bytes) === 'N') widths.push(inner.find((p) => p.number === 3)?.value as number);
    }
  }
  return widths;
}

/** A protobuf reader independent of the code under test (varint and length-delimited fields only). */
function* readFields(buf: Uint8Array): Generator<{ number: number; bytes?: Uint8Array; value?: number }> {
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = buf[pos++] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const wire = key & 7;
    if (wire === 0) yield { number: key >> 3, value: varint() };
    else if (wire === 2) {
      const length = varint();
      yield { number: key >> 3, bytes: buf.subarray(pos, pos + length) };
      pos += length;
    } else if (wire === 5) pos += 4;
    else if (wire === 1) pos += 8;
    else throw new Error(`wire type ${wire}`);
  }
}

describe('splitWideProducts on a q4 export', () => {
  const original = new Uint8Array(readFileSync(Q4));
  const widths = productWidths(original);

  it('cuts every product over the limit into blocks whose widths add up, and the logits stay those of the whole graph', async () => {
    assert.ok(widths.length >= 4, `${widths.length} MatMulNBits in the fixture`);
    const split = splitWideProducts(original, 4096);
    assert.ok(split);
    assert.equal(split.split.length, widths.length);
    assert.ok(split.split.every((s) => s.blocks >= 2));
    const cut = productWidths(split.bytes);
    assert.equal(cut.length, split.split.reduce((n, s) => n + s.blocks, 0));
    assert.equal(
      cut.reduce((a, b) => a + b, 0),
      widths.reduce((a, b) => a + b, 0),
    );
    assert.equal(summarizeOnnx(split.bytes).opTypes.get('Concat') ?? 0, (summarizeOnnx(original).opTypes.get('Concat') ?? 0) + widths.length);
    // The whole weights are gone: the blocks hold them once (plus a few bytes of names per block).
    assert.ok(split.bytes.length < 1.25 * original.length, `${split.bytes.length} bytes against ${original.length}`);

    const ids = [5, 17, 300, 42, 8];
    const whole = await ort.InferenceSession.create(original);
    const blocks = await ort.InferenceSession.create(split.bytes);
    assert.deepEqual(await bareSessionLogits(blocks, ids), await bareSessionLogits(whole, ids));
  });

  it('cuts external data into ranges of the same file, and computes the same logits from it', async () => {
    const externalized = await externalizeInitializers(async (offset, length) => original.slice(offset, offset + length), original.length, 'model_q4.onnx', 4096);
    assert.ok(externalized);
    const split = splitWideProducts(externalized.bytes, 4096);
    assert.ok(split && split.split.length > 0);
    const before = summarizeOnnx(externalized.bytes).externalExtents;
    const after = summarizeOnnx(split.bytes).externalExtents;
    assert.ok(after.length > before.length);
    // Every new extent lies inside one of the old ones: ranges of the weights, never new bytes.
    for (const extent of after) assert.ok(before.some((b) => extent.offset >= b.offset && extent.offset + extent.length <= b.offset + b.length), JSON.stringify(extent));

    const lazy = new LazyFileBytes(Q4);
    const blocks = await ort.InferenceSession.create(split.bytes, { externalData: [{ path: 'model_q4.onnx', data: lazy }] });
    lazy.close();
    const whole = await ort.InferenceSession.create(original);
    const ids = [1, 2, 3, 500];
    assert.deepEqual(await bareSessionLogits(blocks, ids), await bareSessionLogits(whole, ids));
  });

  it('leaves a graph alone when no product is over the limit', () => {
    const largest = Math.max(...productWidths(original).map((n) => n)) * 4096;
    assert.equal(splitWideProducts(original, largest * 64), undefined);
    assert.equal(splitWideProducts(new Uint8Array(readFileSync(path.join(FIXTURES, 'tiny-gpt2', 'onnx', 'model.onnx'))), 1), undefined, 'no MatMulNBits at all');
  });
});

// Hand-built graphs: one MatMulNBits of K 2048 × N 4096 (32 MiB dequantized), B and scales as
// external data (never read here: the session opener below only records the bytes it is given).
const K = 2048;
const N = 4096;
const BLOCKS = K / 32;

function externalTensor(name: string, dims: number[], dataType: number, offset: number, length: number): number[] {
  const entry = (key: string, value: string) => bytesField(13, message(bytesField(1, key), bytesField(2, value)));
  return bytesField(5, message(...dims.map((d) => varintField(1, d)), varintField(2, dataType), bytesField(8, name), entry('location', 'w.bin'), entry('offset', String(offset)), entry('length', String(length)), varintField(14, 1)));
}
function intAttribute(name: string, value: number): number[] {
  return bytesField(5, message(bytesField(1, name), varintField(3, value), varintField(20, 2)));
}
function product(inputs: string[], output: string): number[] {
  return bytesField(1, message(...inputs.map((i) => bytesField(1, i)), bytesField(2, output), bytesField(4, 'MatMulNBits'), intAttribute('K', K), intAttribute('N', N), intAttribute('bits', 4), intAttribute('block_size', 32), bytesField(7, 'com.microsoft')));
}
const weights = [externalTensor('B', [N, BLOCKS, 16], 2, 0, N * BLOCKS * 16), externalTensor('scales', [N * BLOCKS], 1, N * BLOCKS * 16, N * BLOCKS * 4)];
const graph = (...parts: number[][]) => message(varintField(1, 8), bytesField(7, message(...parts, bytesField(11, message(bytesField(1, 'x'))), bytesField(12, message(bytesField(1, 'y'))))));

describe('splitWideProducts: what stays whole', () => {
  it('cuts a 32 MiB product in two at the default limit, columns 0–2047 and 2048–4095 of each weight', () => {
    assert.equal(MAX_PRODUCT_TEMP_BYTES, 16 * 1024 * 1024);
    const split = splitWideProducts(graph(...weights, product(['x', 'B', 'scales'], 'y')));
    assert.ok(split);
    assert.deepEqual(split.split, [{ output: 'y', blocks: 2 }]);
    assert.deepEqual(productWidths(split.bytes), [N / 2, N / 2]);
    const extents = summarizeOnnx(split.bytes).externalExtents.map((e) => [e.offset, e.length]);
    const half = (N / 2) * BLOCKS;
    assert.deepEqual(extents.sort((a, b) => (a[0] as number) - (b[0] as number)), [
      [0, half * 16],
      [half * 16, half * 16],
      [N * BLOCKS * 16, half * 4],
      [N * BLOCKS * 16 + half * 4, half * 4],
    ]);
  });

  it('keeps a weight another node reads, and leaves products with g_idx or a computed weight whole', () => {
    const shared = splitWideProducts(graph(...weights, product(['x', 'B', 'scales'], 'y'), bytesField(1, message(bytesField(1, 'B'), bytesField(2, 'copy'), bytesField(4, 'Identity')))));
    assert.ok(shared);
    assert.equal(summarizeOnnx(shared.bytes).externalExtents.length, 1 + 4, 'B kept beside the four blocks; the scales only in blocks');
    // Two products of one weight: each gets blocks of its own, under names of its own.
    const twice = splitWideProducts(graph(...weights, product(['x', 'B', 'scales'], 'y'), product(['x', 'B', 'scales'], 'z')));
    assert.ok(twice);
    assert.equal(summarizeOnnx(twice.bytes).externalExtents.length, 8);
    assert.equal(new Set([...new TextDecoder().decode(twice.bytes).matchAll(/B\/tealeaf_columns_\d\/[yz]/g)].map((m) => m[0])).size, 4);
    assert.equal(splitWideProducts(graph(...weights, product(['x', 'B', 'scales', '', 'g_idx'], 'y'))), undefined, 'g_idx');
    assert.equal(splitWideProducts(graph(weights[1] as number[], product(['x', 'computed_B', 'scales'], 'y'))), undefined, 'B is not an initializer');
  });

  it('is applied to sessions on WebAssembly only', async () => {
    const model = graph(...weights, product(['x', 'B', 'scales'], 'y'));
    const opened = async (backend: Runtime['backend']): Promise<number[]> => {
      let given: Uint8Array = new Uint8Array(0);
      const runtime: Runtime = {
        ort: ort as unknown as Ort,
        backend,
        openSession: async (bytes) => {
          given = bytes;
          return {} as ort.InferenceSession;
        },
      };
      await createSession(runtime, { path: 'onnx/model_q4.onnx', bytes: model, externalData: [] });
      return productWidths(given);
    };
    assert.deepEqual(await opened('wasm'), [N / 2, N / 2]);
    assert.deepEqual(await opened('native'), [N]);
  });
});

/** A MatMulNBits node with K and N, and what else a case needs (a name, a domain, more attributes). */
function productNode(inputs: string[], outputs: string[], { name, domain = 'com.microsoft', attributes = [] }: { name?: string; domain?: string; attributes?: number[][] } = {}): number[] {
  return bytesField(
    1,
    message(...inputs.map((i) => bytesField(1, i)), ...outputs.map((o) => bytesField(2, o)), ...(name ? [bytesField(3, name)] : []), bytesField(4, 'MatMulNBits'), intAttribute('K', K), intAttribute('N', N), ...attributes, ...(domain ? [bytesField(7, domain)] : [])),
  );
}

/** The names of the main graph's nodes, in order. */
function nodeNames(model: Uint8Array): string[] {
  const graph = [...readFields(model)].find((f) => f.number === 7)?.bytes as Uint8Array;
  return [...readFields(graph)].filter((f) => f.number === 1).map((node) => new TextDecoder().decode([...readFields(node.bytes as Uint8Array)].find((p) => p.number === 3)?.bytes));
}

describe('splitWideProducts: what it takes for a cuttable product', () => {
  const scales = weights[1] as number[];

  it('names each block after the node, or after its output when the node has no name', () => {
    const named = splitWideProducts(graph(...weights, productNode(['x', 'B', 'scales'], ['y'], { name: 'lm_head/MatMul' })));
    assert.ok(named);
    assert.deepEqual(nodeNames(named.bytes), ['lm_head/MatMul/tealeaf_columns_0', 'lm_head/MatMul/tealeaf_columns_1', 'lm_head/MatMul/tealeaf_concat']);
    const unnamed = splitWideProducts(graph(...weights, productNode(['x', 'B', 'scales'], ['y'])));
    assert.ok(unnamed);
    assert.deepEqual(nodeNames(unnamed.bytes), ['y/tealeaf_columns_0', 'y/tealeaf_columns_1', 'y/tealeaf_concat']);
  });

  it('leaves whole a weight whose external offset is not a whole number', () => {
    // tensorFields reads '12.5' as 12.5: no byte range of the file starts there.
    const B = externalTensor('B', [N, BLOCKS, 16], 2, 12.5, N * BLOCKS * 16);
    assert.equal(splitWideProducts(graph(B, scales, productNode(['x', 'B', 'scales'], ['y']))), undefined);
  });

  it('leaves whole a tensor not laid out N outermost, or whose bytes are not N equal rows', () => {
    // Scales stored [blocks, N]: their bytes divide by N, but a block of columns is no byte range.
    const transposed = externalTensor('scales', [BLOCKS, N], 1, N * BLOCKS * 16, N * BLOCKS * 4);
    assert.equal(splitWideProducts(graph(weights[0] as number[], transposed, productNode(['x', 'B', 'scales'], ['y']))), undefined, 'N inner');
    // B [N, blocks, 16] whose external length is 8 bytes short of N rows.
    const short = externalTensor('B', [N, BLOCKS, 16], 2, 0, N * BLOCKS * 16 - 8);
    assert.equal(splitWideProducts(graph(short, scales, productNode(['x', 'B', 'scales'], ['y']))), undefined, 'length not N rows');
  });

  it('cuts only com.microsoft MatMulNBits whose attributes are all ints, with inputs and an output', () => {
    assert.equal(splitWideProducts(graph(...weights, productNode(['x', 'B', 'scales'], ['y'], { domain: '' }))), undefined, 'the standard domain');
    assert.equal(splitWideProducts(graph(...weights, productNode(['x', 'B', 'scales'], ['y'], { domain: 'com.example' }))), undefined, 'another domain');
    // A float attribute (field 2, fixed32; type FLOAT 1): a form the blocks would not copy.
    const alpha = bytesField(5, message(bytesField(1, 'alpha'), [0x15, 0, 0, 0x80, 0x3f], varintField(20, 1)));
    assert.equal(splitWideProducts(graph(...weights, productNode(['x', 'B', 'scales'], ['y'], { attributes: [alpha] }))), undefined, 'a float attribute');
    assert.equal(splitWideProducts(graph(...weights, productNode(['x', 'B', 'scales'], []))), undefined, 'no output');
    assert.equal(splitWideProducts(graph(...weights, productNode([], ['y']))), undefined, 'no inputs');
    assert.ok(splitWideProducts(graph(...weights, productNode(['x', 'B', 'scales'], ['y']))), 'the same product, well formed, is cut');
  });

  it('gives back a graph without MatMulNBits before reading any initializer', () => {
    // An initializer of zeros does not parse (field number 0): a graph with no product is not read that far.
    const damaged = bytesField(5, new Uint8Array(4));
    assert.equal(splitWideProducts(graph(damaged, bytesField(1, message(bytesField(1, 'x'), bytesField(2, 'y'), bytesField(4, 'Identity'))))), undefined);
  });
});
