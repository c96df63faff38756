// The options a session is opened with, per backend, as createSession hands them to onnxruntime:
// WebAssembly sessions of 1 GiB of weights or more run unpacked; smaller ones, and other backends, keep the packing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-web';
import { createSession, type Ort, type Runtime, type SessionSource, UNPACKED_WEIGHTS_FROM_BYTES } from '../../../src/engine/onnx';
import { bytesField, message, varintField } from './protobufWriter';

/** A model with no graph, about 1 kB of it (the graph's own bytes count too). */
const MODEL = message(varintField(1, 8), bytesField(6, 'x'.repeat(990)));

/** External data that reports a size without holding it (the options read only the size). */
class SizedData extends Uint8Array {
  constructor(private readonly size: number) {
    super(0);
  }
  override get byteLength(): number {
    return this.size;
  }
}

async function optionsFor(backend: Runtime['backend'], dataBytes: number): Promise<ort.InferenceSession.SessionOptions> {
  let given: ort.InferenceSession.SessionOptions | undefined;
  const runtime: Runtime = {
    ort: ort as unknown as Ort,
    backend,
    openSession: async (_bytes, options) => {
      given = options;
      return {} as ort.InferenceSession;
    },
  };
  const source: SessionSource = { path: 'onnx/model.onnx', bytes: MODEL, externalData: [{ path: 'model.onnx_data', data: new SizedData(dataBytes) }] };
  await createSession(runtime, source);
  assert.ok(given);
  return given;
}

const UNPACKED = { session: { disable_prepacking: '1' } };

describe('session options', () => {
  it('run 1 GiB of weights or more unpacked on WebAssembly, counting the graph and its external data', async () => {
    assert.equal(UNPACKED_WEIGHTS_FROM_BYTES, 1024 ** 3);
    assert.deepEqual((await optionsFor('wasm', 1024 ** 3 - MODEL.length)).extra, UNPACKED);
    assert.equal((await optionsFor('wasm', 1024 ** 3 - MODEL.length - 1)).extra, undefined);
    assert.deepEqual((await optionsFor('wasm', 2.4 * 1024 ** 3)).extra, UNPACKED);
  });

  it('keep the packing on WebGPU and leave native sessions their own options', async () => {
    assert.equal((await optionsFor('webgpu', 2 * 1024 ** 3)).extra, undefined);
    const native = await optionsFor('native', 2 * 1024 ** 3);
    assert.equal((native.extra as Record<string, unknown> | undefined)?.['session'], undefined);
  });
});
