import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { floatToHalf, halfToFloat, halfToFloat32 } from '../../../src/engine/float16';
import { asFloat32Tensor, floatData } from '../../../src/engine/onnx';

describe('float16', () => {
  it('decodes known half-precision patterns', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  });

  it('round-trips every finite half value through float32', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const floats = halfToFloat32(all);
    for (let bits = 0; bits < 65536; bits++) {
      if ((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0) continue; // NaN payloads
      assert.equal(floatToHalf(floats[bits] as number), bits, `0x${bits.toString(16)}`);
    }
  });

  it('rounds to nearest even', () => {
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, 'halfway rounds to even (down)');
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02, 'halfway rounds to even (up)');
  });

  it('reads float16 tensors as float32, only the range asked for', () => {
    const bits = Uint16Array.from([0x3c00, 0x4000, 0x4200, 0xbc00]); // 1, 2, 3, -1
    const tensor = new ort.Tensor('float16', bits, [1, 2, 2]);
    assert.deepEqual([...floatData(tensor)], [1, 2, 3, -1]);
    assert.deepEqual([...floatData(tensor, 2, 4)], [3, -1]);
    const converted = asFloat32Tensor(ort, tensor);
    assert.equal(converted.type, 'float32');
    assert.deepEqual(converted.dims, [1, 2, 2]);
    const f32 = new ort.Tensor('float32', Float32Array.from([5, 6]), [2]);
    assert.equal(asFloat32Tensor(ort, f32), f32);
    assert.throws(() => floatData(new ort.Tensor('int32', Int32Array.from([1]), [1])), /float32 or float16/);
  });
});
