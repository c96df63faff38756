import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';

describe('NodeModelFiles', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'tealeaf-files-'));
    mkdirSync(join(root, 'model', 'onnx'), { recursive: true });
    writeFileSync(join(root, 'model', 'config.json'), '{"a":1}');
    writeFileSync(join(root, 'model', 'onnx', 'model.onnx'), Buffer.alloc(100));
    writeFileSync(join(root, 'secret.txt'), 'secret');
    symlinkSync(join(root, 'secret.txt'), join(root, 'model', 'link.json'));
    symlinkSync(join(root), join(root, 'model', 'up'));
    writeFileSync(join(root, 'model', 'pytorch_model.bin'), 'pickle');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads files inside the folder', async () => {
    const files = await NodeModelFiles.open(join(root, 'model'));
    assert.equal(new TextDecoder().decode(await files.readBytes('config.json', 100)), '{"a":1}');
    assert.equal(await files.exists('onnx/model.onnx'), true);
    assert.equal(await files.exists('tokenizer.json'), false);
  });

  it('refuses escapes, symlinks, pickles and oversized files', async () => {
    const files = await NodeModelFiles.open(join(root, 'model'));
    await assert.rejects(files.readBytes('../secret.txt', 100), /inside the model folder/);
    await assert.rejects(files.readBytes(join(root, 'secret.txt'), 100), /inside the model folder/);
    await assert.rejects(files.readBytes('link.json', 100), /symbolic links/);
    await assert.rejects(files.readBytes('up/secret.txt', 100), /symbolic links/);
    await assert.rejects(files.readBytes('pytorch_model.bin', 100), /pickle/);
    await assert.rejects(files.readBytes('onnx/model.onnx', 10), /over the 10-byte limit/);
    await assert.rejects(files.readBytes('missing.json', 10), /has no missing.json/);
  });

  it('reports a missing folder clearly', async () => {
    await assert.rejects(NodeModelFiles.open(join(root, 'nope')), /does not exist/);
  });
});
