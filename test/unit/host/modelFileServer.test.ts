// ModelFileServer, the host's answers to the engine webview's file requests: only folders it was
// told to allow, sizes and byte ranges through NodeModelFiles' checks, the per-request read limit,
// and a folder that was missing opened again once it exists.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelFileServer } from '../../../src/host/modelFileServer';
import { type FileReply, type FileRequest, MAX_FILE_READ_BYTES } from '../../../src/protocol/engineView';

const root = mkdtempSync(path.join(tmpdir(), 'tealeaf-file-server-'));
const model = path.join(root, 'model');
mkdirSync(path.join(model, 'onnx'), { recursive: true });
writeFileSync(path.join(model, 'onnx', 'model.onnx'), Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));

const size = (modelDir: string, file: string, id = 1): FileRequest => ({ kind: 'fileRequest', id, modelDir, path: file, op: 'size' });
const read = (modelDir: string, file: string, offset: number, length: number, id = 2): FileRequest => ({
  kind: 'fileRequest',
  id,
  modelDir,
  path: file,
  op: 'read',
  offset,
  length,
});

function errorOf(reply: FileReply): { name: string; message: string } {
  assert.ok(!reply.ok, `expected a refusal, got ${JSON.stringify(reply)}`);
  return reply.error;
}

describe('ModelFileServer', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('answers sizes and byte ranges of an allowed folder, with the request’s id', async () => {
    const server = new ModelFileServer();
    server.allow(model);
    assert.deepEqual(await server.answer(size(model, 'onnx/model.onnx', 5)), { kind: 'fileReply', id: 5, ok: true, size: 10 });
    // No such file: a size-less answer, not an error (the page probes for optional files).
    assert.deepEqual(await server.answer(size(model, 'onnx/model_fp16.onnx', 6)), { kind: 'fileReply', id: 6, ok: true });
    const reply = await server.answer(read(model, 'onnx/model.onnx', 3, 4, 7));
    assert.ok(reply.ok && 'bytes' in reply);
    assert.equal(reply.id, 7);
    assert.deepEqual([...reply.bytes], [3, 4, 5, 6]);
  });

  it('refuses a folder it was not told to load, however the path is written', async () => {
    const server = new ModelFileServer();
    server.allow(model);
    for (const modelDir of [root, path.join(model, 'onnx'), `${model}/`]) {
      const error = errorOf(await server.answer(size(modelDir, 'onnx/model.onnx')));
      assert.equal(error.name, 'ModelError');
      assert.equal(error.message, `refused ${modelDir}: the engine webview reads only the model folders it was asked to load`);
    }
  });

  it('refuses reads larger than one request may carry, and negative offsets or lengths', async () => {
    const server = new ModelFileServer();
    server.allow(model);
    const tooLarge = errorOf(await server.answer(read(model, 'onnx/model.onnx', 0, MAX_FILE_READ_BYTES + 1)));
    assert.equal(tooLarge.message, `refused a read of ${MAX_FILE_READ_BYTES + 1} bytes at 0 of onnx/model.onnx: at most ${MAX_FILE_READ_BYTES} bytes a request`);
    assert.match(errorOf(await server.answer(read(model, 'onnx/model.onnx', -1, 2))).message, /^refused a read of 2 bytes at -1 /);
    assert.match(errorOf(await server.answer(read(model, 'onnx/model.onnx', 0, -2))).message, /^refused a read of -2 bytes at 0 /);
    // The limit itself is allowed: the file's end, not the limit, stops it.
    assert.match(errorOf(await server.answer(read(model, 'onnx/model.onnx', 0, MAX_FILE_READ_BYTES))).message, /ends before byte/);
    // Zero bytes at the start: an empty answer.
    const empty = await server.answer(read(model, 'onnx/model.onnx', 0, 0));
    assert.ok(empty.ok && 'bytes' in empty && empty.bytes.length === 0);
  });

  it('keeps NodeModelFiles’ confinement: no way out of the folder', async () => {
    const server = new ModelFileServer();
    server.allow(model);
    writeFileSync(path.join(root, 'secret.txt'), 'secret');
    assert.equal(errorOf(await server.answer(read(model, '../secret.txt', 0, 6))).name, 'ModelError');
    assert.equal(errorOf(await server.answer(size(model, path.join(root, 'secret.txt')))).name, 'ModelError');
  });

  it('reads the folder it opened to the end: a link to it pointed elsewhere midway mixes in no other files', async () => {
    const first = path.join(root, 'first');
    const second = path.join(root, 'second');
    for (const [folder, text] of [[first, '{"v":1}'], [second, '{"v":22}']] as const) {
      mkdirSync(folder);
      writeFileSync(path.join(folder, 'config.json'), text);
    }
    const link = path.join(root, 'current');
    symlinkSync(first, link);
    const server = new ModelFileServer();
    server.allow(link);
    assert.deepEqual(await server.answer(size(link, 'config.json', 1)), { kind: 'fileReply', id: 1, ok: true, size: 7 });
    rmSync(link);
    symlinkSync(second, link);
    assert.deepEqual(await server.answer(size(link, 'config.json', 2)), { kind: 'fileReply', id: 2, ok: true, size: 7 });
  });

  it('opens a folder that was missing again next time, once it exists', async () => {
    const later = path.join(root, 'later');
    const server = new ModelFileServer();
    server.allow(later);
    assert.match(errorOf(await server.answer(size(later, 'config.json'))).message, /does not exist/);
    mkdirSync(later);
    writeFileSync(path.join(later, 'config.json'), '{}');
    assert.deepEqual(await server.answer(size(later, 'config.json', 3)), { kind: 'fileReply', id: 3, ok: true, size: 2 });
  });
});
