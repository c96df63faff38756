import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
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
    await assert.rejects(NodeModelFiles.open(join(root, 'secret.txt')), { message: `${realpathSync(root)}${sep}secret.txt is not a folder` });
  });

  it('says what each refusal is, in one sentence naming the path', async () => {
    const files = await NodeModelFiles.open(join(root, 'model'));
    await assert.rejects(files.readBytes('../secret.txt', 100), { message: 'refused model path ../secret.txt: it must stay inside the model folder' });
    await assert.rejects(files.readBytes('onnx//model.onnx', 100), { message: 'refused model path onnx//model.onnx: it must stay inside the model folder' });
    await assert.rejects(files.readBytes('up/secret.txt', 100), { message: 'refused up/secret.txt: symbolic links are not followed in model folders' });
    await assert.rejects(files.readBytes('onnx', 100), { message: 'onnx is a folder where a file should be' });
    await assert.rejects(files.size('onnx'), { message: 'onnx is a folder where a file should be' });
    for (const pickle of ['weights.pt', 'weights.PTH', 'a.pkl', 'a.pickle', 'a.ckpt', 'pytorch_model.bin']) {
      await assert.rejects(files.readBytes(pickle, 100), { message: `refused ${pickle}: pickle files can run code and are never loaded` }, pickle);
    }
    // Asking whether a pickle is there is allowed (to name it in an error).
    assert.equal(await files.exists('pytorch_model.bin'), true);
  });

  it('refuses a FIFO where a model file should be (reading one would wait forever)', async () => {
    execFileSync('mkfifo', [join(root, 'model', 'pipe.json')]);
    const files = await NodeModelFiles.open(join(root, 'model'));
    await assert.rejects(files.readBytes('pipe.json', 100), { message: 'pipe.json is not a regular file' });
    await assert.rejects(files.size('pipe.json'), { message: 'pipe.json is not a regular file' });
  });

  it('reads a file as large as the limit, and byte ranges, refusing one past the end', async () => {
    const files = await NodeModelFiles.open(join(root, 'model'));
    assert.equal((await files.readBytes('onnx/model.onnx', 100)).length, 100);
    assert.equal(await files.size('onnx/model.onnx'), 100);
    assert.equal(await files.size('missing.onnx'), undefined);
    assert.deepEqual([...(await files.readRange('config.json', 2, 3))], [...new TextEncoder().encode('a":')]);
    await assert.rejects(files.readRange('config.json', 5, 4), { message: 'config.json ends before byte 9: the file is truncated' });
  });

  it('follows a Hub snapshot’s links into its own blobs only', async () => {
    const repo = join(root, 'hub', 'models--owner--name');
    const commit = 'a'.repeat(40);
    const snapshot = join(repo, 'snapshots', commit);
    mkdirSync(join(repo, 'blobs'), { recursive: true });
    mkdirSync(join(snapshot, 'onnx'), { recursive: true });
    writeFileSync(join(repo, 'blobs', 'c0ffee'), '{"hub":1}');
    mkdirSync(join(repo, 'blobs', 'folder'));
    symlinkSync(relative(snapshot, join(repo, 'blobs', 'c0ffee')), join(snapshot, 'config.json'));
    symlinkSync(relative(join(snapshot, 'onnx'), join(repo, 'blobs', 'c0ffee')), join(snapshot, 'onnx', 'model.onnx'));
    symlinkSync(join(root, 'secret.txt'), join(snapshot, 'outside.json'));
    symlinkSync(join(repo, 'blobs', 'folder'), join(snapshot, 'folder.json'));
    const files = await NodeModelFiles.open(snapshot);
    assert.equal(new TextDecoder().decode(await files.readBytes('config.json', 100)), '{"hub":1}');
    assert.equal(await files.size('onnx/model.onnx'), 9);
    await assert.rejects(files.readBytes('outside.json', 100), /symbolic links are not followed/);
    await assert.rejects(files.readBytes('folder.json', 100), /symbolic links are not followed/);

    // The same layout under a folder not named like a Hub cache: no link is followed.
    for (const [name, dir] of [
      ['not a commit', join(repo, 'snapshots', 'main')],
      ['not snapshots', join(repo, 'snapshot', commit)],
      ['not a model repo', join(root, 'hub', 'datasets--owner--name', 'snapshots', commit)],
    ] as const) {
      mkdirSync(dir, { recursive: true });
      const repoOf = join(dir, '..', '..');
      mkdirSync(join(repoOf, 'blobs'), { recursive: true });
      writeFileSync(join(repoOf, 'blobs', 'c0ffee'), '{}');
      symlinkSync(relative(dir, join(repoOf, 'blobs', 'c0ffee')), join(dir, 'config.json'));
      await assert.rejects((await NodeModelFiles.open(dir)).readBytes('config.json', 100), /symbolic links are not followed/, name);
    }
    // A snapshot whose repository has no blobs folder: nothing to follow.
    const bare = join(root, 'hub', 'models--a--b', 'snapshots', commit);
    mkdirSync(bare, { recursive: true });
    symlinkSync(join(repo, 'blobs', 'c0ffee'), join(bare, 'config.json'));
    await assert.rejects((await NodeModelFiles.open(bare)).readBytes('config.json', 100), /symbolic links are not followed/);
  });
});
