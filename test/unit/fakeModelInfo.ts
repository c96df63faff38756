// One ModelInfo for tests that stand in for an engine: a tiny decoder unless overridden.
import type { ModelInfo } from '../../src/engine/types';

export function fakeModelInfo(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return {
    id: '/fake/model',
    name: 'fake',
    kind: 'decoder',
    modelType: 'llama',
    backend: 'wasm',
    layers: 2,
    heads: 2,
    kvHeads: 2,
    hiddenSize: 16,
    headDim: 8,
    vocabSize: 50_000,
    maxPositions: 4096,
    decoderLayers: 2,
    decoderHeads: 2,
    positions: 'rope',
    tiedEmbeddings: true,
    onnxFiles: ['onnx/model.onnx'],
    dtype: 'fp32',
    dtypeReason: 'auto: fp32 is the fastest on wasm of the files present (fp32)',
    dtypes: ['fp32'],
    parameters: 1000,
    hasAttentionOutputs: true,
    attentionSource: 'outputs',
    ...overrides,
  };
}

/** A small encoder-decoder translating between English and German. */
export function fakeTranslatorInfo(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return fakeModelInfo({
    id: '/models/mt',
    name: 'mt',
    kind: 'encoder-decoder',
    modelType: 'marian',
    layers: 1,
    heads: 1,
    kvHeads: 1,
    hiddenSize: 8,
    vocabSize: 32,
    maxPositions: 64,
    decoderLayers: 1,
    decoderHeads: 1,
    positions: 'sinusoidal',
    onnxFiles: ['onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'],
    hasAttentionOutputs: false,
    attentionSource: 'outputs',
    languages: ['en', 'de'],
    ...overrides,
  });
}
