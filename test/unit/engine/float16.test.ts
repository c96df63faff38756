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

  // Expected patterns below follow the IEEE 754 binary16 layout: sign bit 15, exponent bits 14–10
  // (bias 15, 0x1f = infinity/NaN), 10 fraction bits; subnormals are fraction × 2^-24. Inputs are
  // exact float32 values (checked with Math.fround), so only the half rounding is under test.
  it('maps infinities, NaN and values beyond the half range as IEEE does', () => {
    assert.equal(floatToHalf(Infinity), 0x7c00);
    assert.equal(floatToHalf(-Infinity), 0xfc00);
    const nan = floatToHalf(Number.NaN);
    // A NaN stays a NaN (all-ones exponent, non-zero fraction), never an infinity.
    assert.equal(nan & 0x7c00, 0x7c00);
    assert.notEqual(nan & 0x3ff, 0);
    assert.ok(Number.isNaN(halfToFloat(nan)));
    // 65536 = 2^16 is the first power of two past the largest half (65504): infinity, not a wrapped exponent.
    assert.equal(floatToHalf(65536), 0x7c00);
    assert.equal(floatToHalf(-65536), 0xfc00);
    // 100000 has the exponent right above the half's largest (2^16 ≤ x < 2^17) and a non-zero
    // fraction: writing that exponent as-is would give a NaN pattern, not infinity.
    assert.equal(floatToHalf(100000), 0x7c00);
    assert.equal(floatToHalf(-100000), 0xfc00);
    assert.equal(floatToHalf(1e6), 0x7c00);
    assert.equal(floatToHalf(-3e38), 0xfc00);
  });

  it('rounds to infinity only from halfway past the largest half', () => {
    // 65504 is 0x7bff; the next step would be 65536, so 65520 is the halfway point. 0x7bff is odd:
    // ties go to even, which carries into the all-ones exponent: infinity.
    assert.equal(floatToHalf(65519), 0x7bff);
    assert.equal(floatToHalf(65520), 0x7c00);
    assert.equal(floatToHalf(-65520), 0xfc00);
  });

  it('carries a rounded-up fraction into the exponent', () => {
    // 2 − 2^-11 lies halfway between 2 − 2^-10 (0x3bff, odd fraction) and 2 (0x4000): ties to even → 2.
    assert.equal(Math.fround(2 - 2 ** -11), 2 - 2 ** -11);
    assert.equal(floatToHalf(2 - 2 ** -11), 0x4000);
    assert.equal(floatToHalf(-(2 - 2 ** -11)), 0xc000);
    // The same at an even exponent: 4 − 2^-10 → 4 (0x4400).
    assert.equal(floatToHalf(4 - 2 ** -10), 0x4400);
  });

  it('rounds normal values to the nearest half, not only at ties', () => {
    // 1 + 0.75·2^-10 is nearer 1 + 2^-10 (0x3c01) than 1; 1 + 0.25·2^-10 is nearer 1.
    assert.equal(floatToHalf(1 + 0.75 * 2 ** -10), 0x3c01);
    assert.equal(floatToHalf(1 + 0.25 * 2 ** -10), 0x3c00);
  });

  it('rounds subnormals to the nearest multiple of 2^-24, ties to even', () => {
    const tiny = 2 ** -24;
    assert.equal(floatToHalf(1.25 * tiny), 0x0001, 'nearer 1');
    assert.equal(floatToHalf(1.75 * tiny), 0x0002, 'nearer 2');
    assert.equal(floatToHalf(1.5 * tiny), 0x0002, 'tie between 1 and 2: even 2');
    assert.equal(floatToHalf(2.5 * tiny), 0x0002, 'tie between 2 and 3: even 2');
    assert.equal(floatToHalf(-2.5 * tiny), 0x8002);
    assert.equal(floatToHalf(3.5 * tiny), 0x0004, 'tie between 3 and 4: even 4');
    // The largest subnormal and its neighbour above.
    assert.equal(floatToHalf(1022.75 * tiny), 0x03ff);
    assert.equal(floatToHalf(1023.5 * tiny), 0x0400, 'tie between 0x3ff and 2^-14: even, the smallest normal');
    // Below half of 2^-24, zero; between half and 2^-24, the smallest subnormal.
    assert.equal(floatToHalf(0.75 * tiny), 0x0001, 'in [2^-25, 2^-24): nearer 2^-24 than 0');
    assert.equal(floatToHalf(0.5 * tiny), 0x0000, 'exactly half of 2^-24: tie to even 0');
    assert.equal(floatToHalf(0.4 * tiny), 0x0000);
  });

  it('keeps the sign of values too small for a half (negative zero)', () => {
    assert.equal(floatToHalf(1e-10), 0x0000);
    assert.equal(floatToHalf(-1e-10), 0x8000);
    assert.equal(floatToHalf(-0), 0x8000);
    assert.ok(Object.is(halfToFloat(0x8000), -0));
    assert.equal(floatToHalf(2 ** -40), 0x0000);
    assert.equal(floatToHalf(-(2 ** -30)), 0x8000);
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
