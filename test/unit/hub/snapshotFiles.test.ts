// NodeModelFiles in a Hugging Face cache snapshot: its symlinks into the same repository's blobs/
// are followed, and no other symlink is (another repository's blobs, outside the cache, a folder
// that is not a snapshot).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';

const COMMIT = 'a'.repeat(40);

describe('NodeModelFiles in a Hub cache snapshot', () => {
  let root: string;
  let snapshot: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'tealeaf-snapshot-'));
    const repo = path.join(root, 'models--owner--model');
    const other = path.join(root, 'models--owner--other');
    snapshot = path.join(repo, 'snapshots', COMMIT);
    mkdirSync(path.join(repo, 'blobs'), { recursive: true });
    mkdirSync(path.join(other, 'blobs'), { recursive: true });
    mkdirSync(path.join(snapshot, 'onnx'), { recursive: true });
    writeFileSync(path.join(repo, 'blobs', 'b1'), '{"ok":true}');
    writeFileSync(path.join(repo, 'blobs', 'b2'), Buffer.alloc(64, 7));
    writeFileSync(path.join(other, 'blobs', 'b3'), 'other repository');
    writeFileSync(path.join(root, 'outside.json'), 'outside');
    symlinkSync('../../blobs/b1', path.join(snapshot, 'config.json'));
    symlinkSync('../../../blobs/b2', path.join(snapshot, 'onnx', 'model.onnx'));
    symlinkSync('../../../models--owner--other/blobs/b3', path.join(snapshot, 'stolen.json'));
    symlinkSync(path.join(root, 'outside.json'), path.join(snapshot, 'outside.json'));
    symlinkSync('../../blobs', path.join(snapshot, 'blobdir'));
    symlinkSync('../../blobs/missing', path.join(snapshot, 'dangling.json'));
    // The same links in a folder that is not a snapshot of the cache.
    const plain = path.join(repo, 'not-a-snapshot');
    mkdirSync(plain);
    symlinkSync('../blobs/b1', path.join(plain, 'config.json'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("follows the snapshot's symlinks into its own blobs/", async () => {
    const files = await NodeModelFiles.open(snapshot);
    assert.equal(new TextDecoder().decode(await files.readBytes('config.json', 100)), '{"ok":true}');
    assert.equal(await files.size('onnx/model.onnx'), 64);
    assert.deepEqual([...(await files.readRange('onnx/model.onnx', 10, 2))], [7, 7]);
    assert.equal(await files.exists('dangling.json'), false);
  });

  it('refuses links to another repository, outside the cache, to a folder, and outside a snapshot', async () => {
    const files = await NodeModelFiles.open(snapshot);
    await assert.rejects(files.readBytes('stolen.json', 100), /symbolic links are not followed/);
    await assert.rejects(files.readBytes('outside.json', 100), /symbolic links are not followed/);
    await assert.rejects(files.readBytes('blobdir/b1', 100), /symbolic links are not followed/);
    const plain = await NodeModelFiles.open(path.join(root, 'models--owner--model', 'not-a-snapshot'));
    await assert.rejects(plain.readBytes('config.json', 100), /symbolic links are not followed/);
  });
});
