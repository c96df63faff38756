import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attentionKind, describeModel, formatParameters } from '../../../src/engine/modelFacts';
import { fakeModelInfo } from '../fakeModelInfo';

describe('model facts', () => {
  it('names the attention kind from query and key/value heads', () => {
    assert.equal(attentionKind(12, 12), 'MHA');
    assert.equal(attentionKind(16, 1), 'MQA');
    assert.equal(attentionKind(14, 2), 'GQA');
  });

  it('writes parameter counts as people do', () => {
    assert.equal(formatParameters(494_032_768), '494M');
    assert.equal(formatParameters(1_543_714_304), '1.5B');
    assert.equal(formatParameters(6_450_432), '6.5M');
    assert.equal(formatParameters(121_536), '122k');
  });

  it('switches unit and drops the decimal exactly at each power of ten', () => {
    // A billion is 1.0B, not 1000M; ten billion has no decimal; likewise a million and 100M.
    assert.equal(formatParameters(1e9), '1.0B');
    assert.equal(formatParameters(1e10), '10B');
    assert.equal(formatParameters(1e6), '1.0M');
    assert.equal(formatParameters(1e8), '100M');
  });

  it('writes a count just under a boundary as what it rounds to', () => {
    assert.equal(formatParameters(999_999), '1.0M');
    assert.equal(formatParameters(999_499), '999k');
    assert.equal(formatParameters(99_960_000), '100M');
    assert.equal(formatParameters(99_940_000), '99.9M');
    assert.equal(formatParameters(999_600_000), '1.0B');
    assert.equal(formatParameters(9_960_000_000), '10B');
    assert.equal(formatParameters(9_940_000_000), '9.9B');
  });

  it('describes a model in one line, with the file in use and where its attention comes from', () => {
    const line = describeModel(
      fakeModelInfo({ architecture: 'Qwen2ForCausalLM', parameters: 494_032_768, layers: 24, heads: 14, kvHeads: 2, maxPositions: 32768, dtype: 'q4', onnxFiles: ['onnx/model_q4.onnx'], attentionSource: 'fused-surgery' }),
    );
    assert.equal(line, 'Qwen2ForCausalLM · 494M parameters · 24 layers × 14 heads / 2 KV (GQA) · rope positions · context 32768 · q4 (onnx/model_q4.onnx) · attention recomputed beside fused ops');
    assert.match(describeModel(fakeModelInfo({ attentionSource: 'surgery' })), / · attention by graph surgery$/);
    assert.match(describeModel(fakeModelInfo({ heads: 4, kvHeads: 4 })), /2 layers × 4 heads · /);
    // The other two attention sources, and a model in two files (an encoder-decoder's).
    assert.match(describeModel(fakeModelInfo({ attentionSource: 'outputs' })), / · attention from the export$/);
    assert.match(describeModel(fakeModelInfo({ attentionSource: 'none' })), / · no attention$/);
    assert.match(
      describeModel(fakeModelInfo({ dtype: 'q8', onnxFiles: ['onnx/encoder_model_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx'] })),
      / · q8 \(onnx\/encoder_model_quantized\.onnx \+ onnx\/decoder_model_merged_quantized\.onnx\) · /,
    );
  });
});
