// The sentence a user reads when a model folder has nothing to load.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missingOnnxSentence } from '../../../src/engine/missingOnnx';
import { MemoryModelFiles } from '../hostile/mutations';

const folder = (...files: string[]) => new MemoryModelFiles(new Map(files.map((f) => [f, new Uint8Array(1)])));

describe('missingOnnxSentence', () => {
  it('says a folder of PyTorch or safetensors weights needs an export, pickles first', async () => {
    assert.equal(
      await missingOnnxSentence(folder('config.json', 'pytorch_model.bin', 'model.safetensors'), [['model']]),
      'the fuzzed model has only PyTorch weights (pytorch_model.bin), which can run code when loaded and are never opened: export the model to ONNX (onnx/model.onnx)',
    );
    assert.equal(
      await missingOnnxSentence(folder('model.safetensors'), [['encoder_model'], ['decoder_model_merged', 'decoder_model']]),
      'the fuzzed model has only safetensors weights (model.safetensors): export the model to ONNX (onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx)',
    );
  });

  it('names the ONNX file a decoder needs, or both an encoder-decoder needs', async () => {
    assert.equal(await missingOnnxSentence(folder('config.json'), [['model']]), 'the fuzzed model has no ONNX file (onnx/model.onnx or one of its dtype variants)');
    assert.equal(
      await missingOnnxSentence(folder(), [['encoder_model'], ['decoder_model_merged']]),
      'the fuzzed model has no ONNX files for an encoder-decoder model: it needs onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx (or one of their dtype variants)',
    );
  });
});
