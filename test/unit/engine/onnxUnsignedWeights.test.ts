// int8 MatMulInteger weights stored as uint8 in place (for onnxruntime-node on x86 without VNNI,
// whose uint8 × int8 kernel saturates): the products compute the same integers, on hand-built
// graphs and on a merged gpt2 export whose weights sit in If branches with zero points kept as
// int32_data; what another op reads, a caller may feed, or cannot change in place is left alone;
// and only native sessions get the rewrite.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { createSession, type Ort, type Runtime } from '../../../src/engine/onnx';
import { unsignedIntegerWeights } from '../../../src/engine/onnxUnsignedWeights';
import { FIXTURES } from './helpers';
import { bytesField, message, varint, varintField } from './protobufWriter';

const INT8 = 3;
const GPT2_INT8 = path.join(FIXTURES, 'hub-gpt2', 'onnx', 'model_int8.onnx');

/** An int8 initializer: raw bytes, or values in packed int32_data (negative ones as ten-byte varints). */
function int8Tensor(name: string, dims: number[], values: number[], as: 'raw' | 'int32'): number[] {
  const int32 = (v: number) => (v >= 0 ? varint(v) : [...varint(2 ** 63 + 2 ** 63 + v).slice(0, 9), 0x01]);
  const data = as === 'raw' ? bytesField(9, Uint8Array.from(values, (v) => v & 0xff)) : bytesField(5, Uint8Array.from(values.flatMap(int32)));
  return bytesField(5, message(...dims.map((d) => varintField(1, d)), varintField(2, INT8), ...(as === 'int32' ? [data] : []), bytesField(8, name), ...(as === 'raw' ? [data] : [])));
}
function node(op: string, inputs: string[], outputs: string[]): number[] {
  return bytesField(1, message(...inputs.map((i) => bytesField(1, i)), ...outputs.map((o) => bytesField(2, o)), bytesField(4, op)));
}
/** A graph input of float [1, 4]. */
function floatInput(name: string): number[] {
  const dim = (n: number) => bytesField(1, message(varintField(1, n)));
  return bytesField(11, message(bytesField(1, name), bytesField(2, message(bytesField(1, message(varintField(1, 1), bytesField(2, message(dim(1), dim(4)))))))));
}
function model(...parts: number[][]): Uint8Array {
  return message(varintField(1, 8), bytesField(8, message(bytesField(1, ''), varintField(2, 13))), bytesField(7, message(...parts, bytesField(2, 'g'))));
}
/** x [1, 4] quantized per run, times W [4, 3] with its zero point: y [1, 3] int32. */
const QUANTIZE = node('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']);
const W = [-128, -7, 0, 5, 127, -64, 33, 1, -1, 100, -100, 2];

async function run(bytes: Uint8Array, x: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 4]) });
  const values = [...(Object.values(out) as ort.Tensor[])].flatMap((t) => [...(t.data as Int32Array)]);
  await session.release();
  return values;
}

describe('unsignedIntegerWeights', () => {
  it('stores int8 weights and zero points as uint8 (raw bytes and int32_data), and the products are the same', async () => {
    const original = model(
      floatInput('x'),
      QUANTIZE,
      node('MatMulInteger', ['xq', 'W', 'xz', 'Wz'], ['y']),
      node('MatMulInteger', ['xq', 'V', 'xz', 'Vz'], ['z']),
      int8Tensor('W', [4, 3], W, 'raw'),
      int8Tensor('Wz', [], [0], 'int32'),
      int8Tensor('V', [4, 3], W.map((w) => -w - 1), 'raw'),
      int8Tensor('Vz', [], [-3], 'raw'),
      bytesField(12, message(bytesField(1, 'y'))),
      bytesField(12, message(bytesField(1, 'z'))),
    );
    const rewritten = original.slice();
    assert.deepEqual(unsignedIntegerWeights(rewritten).sort(), ['V', 'Vz', 'W', 'Wz']);
    assert.equal(rewritten.length, original.length);
    assert.equal(unsignedIntegerWeights(rewritten.slice()).length, 0, 'nothing is left to convert');
    for (const x of [
      [0.5, -1.25, 2, 0.1],
      [3, 3, -3, 0],
    ]) {
      const expected = await run(original, x);
      assert.ok(expected.some((v) => v !== 0));
      assert.deepEqual(await run(rewritten, x), expected);
    }
  });

  it('leaves alone a weight another op reads, one a caller may feed or whose type the graph declares, products of other activations and a negative zero point in int32_data', () => {
    const product = node('MatMulInteger', ['xq', 'W', 'xz', 'Wz'], ['y']);
    const weights = [int8Tensor('W', [4, 3], W, 'raw'), int8Tensor('Wz', [], [0], 'int32')];
    const cases = {
      'also gathered': model(floatInput('x'), QUANTIZE, product, node('Gather', ['W', 'i'], ['g']), ...weights),
      'a graph input': model(floatInput('x'), floatInput('W'), QUANTIZE, product, ...weights),
      'typed in value_info': model(floatInput('x'), QUANTIZE, product, ...weights, bytesField(13, message(bytesField(1, 'Wz')))),
      'a graph output': model(floatInput('x'), QUANTIZE, product, ...weights, bytesField(12, message(bytesField(1, 'W')))),
      'activation not from DynamicQuantizeLinear': model(floatInput('x'), node('Identity', ['x'], ['xq']), product, ...weights),
      'negative zero point as int32_data': model(floatInput('x'), QUANTIZE, product, int8Tensor('W', [4, 3], W, 'raw'), int8Tensor('Wz', [], [-1], 'int32')),
      'without a weight zero point': model(floatInput('x'), QUANTIZE, node('MatMulInteger', ['xq', 'W', 'xz'], ['y']), ...weights),
    };
    for (const [what, bytes] of Object.entries(cases)) {
      const copy = bytes.slice();
      assert.deepEqual(unsignedIntegerWeights(copy), [], what);
      assert.deepEqual(copy, bytes, `${what}: the bytes are untouched`);
    }
  });

  it('converts a weight two products share only with both their zero points', () => {
    const shared = (secondZero: number[]) =>
      model(
        floatInput('x'),
        QUANTIZE,
        node('MatMulInteger', ['xq', 'W', 'xz', 'Z1'], ['y']),
        node('MatMulInteger', ['xq', 'W', 'xz', 'Z2'], ['z']),
        int8Tensor('W', [4, 3], W, 'raw'),
        int8Tensor('Z1', [], [0], 'int32'),
        int8Tensor('Z2', [], secondZero, 'int32'),
      );
    assert.deepEqual(unsignedIntegerWeights(shared([-2])), []);
    assert.deepEqual(unsignedIntegerWeights(shared([2])).sort(), ['W', 'Z1', 'Z2']);
  });
});

describe('unsignedIntegerWeights: what is read and what is written', () => {
  const product = node('MatMulInteger', ['xq', 'W', 'xz', 'Wz'], ['y']);
  const output = bytesField(12, message(bytesField(1, 'y')));

  it('sees a weight read inside a subgraph of a `graphs` attribute, and leaves it alone', () => {
    // AttributeProto.graphs (field 11, type GRAPHS 10): a Gather in one of them reads W too.
    const bodies = bytesField(5, message(bytesField(1, 'bodies'), bytesField(11, message(node('Gather', ['W', 'i'], ['g']), bytesField(2, 'body'))), varintField(20, 10)));
    const bytes = model(floatInput('x'), QUANTIZE, product, bytesField(1, message(bytesField(1, 'c'), bytesField(2, 'r'), bytesField(4, 'Custom'), bodies)), int8Tensor('W', [4, 3], W, 'raw'), int8Tensor('Wz', [], [0], 'int32'), output);
    const copy = bytes.slice();
    assert.deepEqual(unsignedIntegerWeights(copy), []);
    assert.deepEqual(copy, bytes);
  });

  it('leaves alone a weight and zero point that a product of another activation also reads', () => {
    // The first product alone would convert them; the second reads them with an activation that is not DynamicQuantizeLinear's.
    const bytes = model(floatInput('x'), QUANTIZE, node('Identity', ['xq'], ['xi']), product, node('MatMulInteger', ['xi', 'W', 'xz', 'Wz'], ['z']), int8Tensor('W', [4, 3], W, 'raw'), int8Tensor('Wz', [], [0], 'int32'), output);
    const copy = bytes.slice();
    assert.deepEqual(unsignedIntegerWeights(copy), []);
    assert.deepEqual(copy, bytes);
  });

  it('leaves alone a weight that a product without a weight zero point also reads: it computes with int8', async () => {
    // z = MatMulInteger(xq, W, xz) reads W as int8 with zero point 0; W + 128 would change z.
    const original = model(floatInput('x'), QUANTIZE, product, node('MatMulInteger', ['xq', 'W', 'xz'], ['z']), int8Tensor('W', [4, 3], W, 'raw'), int8Tensor('Wz', [], [0], 'int32'), output, bytesField(12, message(bytesField(1, 'z'))));
    const rewritten = original.slice();
    assert.deepEqual(unsignedIntegerWeights(rewritten), []);
    assert.deepEqual(rewritten, original);
    const x = [0.5, -1.25, 2, 0.1];
    assert.equal((await run(original, x)).length, 6, 'y and z');
  });

  it('leaves alone a tensor whose data_type is written in more bytes than it needs', () => {
    // data_type 3 as the varint 0x83 0x00: rewriting its last byte would make it 259.
    const longType = bytesField(5, message(varintField(1, 4), varintField(1, 3), [0x10, 0x83, 0x00], bytesField(8, 'W'), bytesField(9, Uint8Array.from(W, (v) => v & 0xff))));
    const bytes = model(floatInput('x'), QUANTIZE, product, longType, int8Tensor('Wz', [], [0], 'int32'), output);
    const copy = bytes.slice();
    assert.deepEqual(unsignedIntegerWeights(copy), []);
    assert.deepEqual(copy, bytes);
  });

  /** An int8 tensor whose values field (key, then length and payload) is written by hand. */
  function handWritten(name: string, dims: number[], key: number[], payload: number[]): number[] {
    return bytesField(5, message(...dims.map((d) => varintField(1, d)), varintField(2, INT8), bytesField(8, name), [...key, ...varint(payload.length), ...payload]));
  }

  it('leaves alone a zero point whose int32_data key takes two bytes: as raw_data it would take one', () => {
    // 0xaa 0x00 is field 5, wire 2 as a longer varint than needed, which protobuf readers accept.
    const bytes = model(floatInput('x'), QUANTIZE, product, int8Tensor('W', [4, 3], W, 'raw'), handWritten('Wz', [], [0xaa, 0x00], [0]), output);
    const copy = bytes.slice();
    assert.deepEqual(unsignedIntegerWeights(copy), []);
    assert.deepEqual(copy, bytes);
  });

  it('flips raw bytes behind a two-byte raw_data key and leaves the key as it is: the products are the same', async () => {
    // 0xca 0x00 is field 9, wire 2 in two bytes.
    const original = model(floatInput('x'), QUANTIZE, product, handWritten('W', [4, 3], [0xca, 0x00], W.map((w) => w & 0xff)), int8Tensor('Wz', [], [0], 'int32'), output);
    const rewritten = original.slice();
    assert.deepEqual(unsignedIntegerWeights(rewritten).sort(), ['W', 'Wz']);
    const at = original.findIndex((b, i) => b === 0xca && original[i + 1] === 0x00 && original[i + 2] === W.length);
    assert.ok(at > 0);
    assert.deepEqual([...rewritten.slice(at, at + 3)], [0xca, 0x00, W.length], 'the key and length');
    assert.deepEqual([...rewritten.slice(at + 3, at + 3 + W.length)], W.map((w) => w + 128), 'the values as uint8');
    const x = [0.5, -1.25, 2, 0.1];
    assert.deepEqual(await run(rewritten, x), await run(original, x));
  });
});

describe('unsignedIntegerWeights on a merged gpt2 export (int8, weights read inside If branches)', () => {
  const original = new Uint8Array(readFileSync(GPT2_INT8));

  /** Logits of a first pass (no cache) over ids, whatever the export's inputs. */
  async function logits(bytes: Uint8Array, ids: number[]): Promise<Float32Array> {
    const session = await ort.InferenceSession.create(bytes);
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of session.inputMetadata) {
      if (!input.isTensor) continue;
      const { name, shape } = input;
      if (name === 'input_ids') feeds[name] = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
      else if (name === 'attention_mask') feeds[name] = new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
      else if (name === 'position_ids') feeds[name] = new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(i)), [1, ids.length]);
      else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', [false], [1]);
      else if (name.startsWith('past_key_values')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, shape[1] as number, 0, shape[3] as number]);
    }
    const out = await session.run(feeds, ['logits']);
    await session.release();
    return out.logits?.data as Float32Array;
  }

  it('converts every product’s weight and zero point, and the logits stay the same to the bit', async () => {
    const rewritten = original.slice();
    const names = unsignedIntegerWeights(rewritten);
    // 2 layers × (attention in, attention out, MLP in, MLP out), each with its zero point.
    assert.equal(names.length, 16);
    assert.ok(names.every((n) => n.endsWith('_quantized') || n.endsWith('_zero_point')));
    const ids = [464, 206, 75, 218, 180, 62, 262];
    assert.deepEqual(await logits(rewritten, ids), await logits(original, ids));
  });
});

describe('createSession', () => {
  async function given(backend: Runtime['backend']): Promise<{ bytes: Uint8Array; options: ort.InferenceSession.SessionOptions }> {
    let seen: { bytes: Uint8Array; options: ort.InferenceSession.SessionOptions } | undefined;
    const runtime: Runtime = {
      ort: ort as unknown as Ort,
      backend,
      openSession: async (bytes, options) => {
        seen = { bytes, options };
        return {} as ort.InferenceSession;
      },
    };
    await createSession(runtime, { path: 'onnx/model_int8.onnx', bytes: new Uint8Array(readFileSync(GPT2_INT8)), externalData: [] });
    assert.ok(seen);
    return seen;
  }

  it('hands native sessions uint8 weights and onnxruntime’s own precision option, WebAssembly the file as it is', async () => {
    const native = await given('native');
    assert.deepEqual(unsignedIntegerWeights(native.bytes.slice()), []);
    assert.equal((native.options.extra as Record<string, string>)['session.x64quantprecision'], '1');
    const wasm = await given('wasm');
    assert.equal(unsignedIntegerWeights(wasm.bytes.slice()).length, 16);
  });
});
