import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { readOnnxFile } from '../../../src/engine/modelFolder';
import { collectGarbage } from '../../../src/host/collectGarbage';
import { LazyFileBytes } from '../../../src/host/lazyFileBytes';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { FIXTURES } from '../engine/helpers';

describe('LazyFileBytes', () => {
  it('answers byteLength and subarray from disk, range by range', (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-lazy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'data.bin');
    const content = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31) % 256);
    writeFileSync(file, content);
    const lazy = new LazyFileBytes(file);
    try {
      assert.ok(lazy instanceof Uint8Array, 'onnxruntime-web takes Uint8Arrays as they are');
      assert.equal(lazy.byteLength, 10_000);
      assert.deepEqual(lazy.subarray(1234, 5678), content.subarray(1234, 5678));
      assert.deepEqual(lazy.subarray(9990), content.subarray(9990));
      assert.equal(lazy.subarray(9_000, 20_000).length, 1_000, 'clamped to the file');
    } finally {
      lazy.close();
    }
    assert.throws(() => lazy.subarray(0, 10), 'a closed file reads nothing');
  });

  it('fails with the offset where a file that shrank since it was opened ends', (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-lazy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'data.bin');
    writeFileSync(file, Uint8Array.from({ length: 100 }, (_, i) => i));
    const lazy = new LazyFileBytes(file);
    try {
      truncateSync(file, 60);
      assert.deepEqual(lazy.subarray(50, 60), Uint8Array.from({ length: 10 }, (_, i) => 50 + i));
      assert.throws(() => lazy.subarray(40, 100), { message: `${file} ended at byte 60, before 100` });
    } finally {
      lazy.close();
    }
  });

  it('has V8 collect a large read before the next read and at close, and not after small ones', (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-lazy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'data.bin');
    writeFileSync(file, new Uint8Array(1000));
    let collections = 0;
    const lazy = new LazyFileBytes(file, { collectAfterBytes: 100, collect: () => collections++ });
    lazy.subarray(0, 99);
    lazy.subarray(0, 99);
    assert.equal(collections, 0, 'small reads');
    lazy.subarray(0, 100);
    assert.equal(collections, 0, 'not while onnxruntime may still be copying it');
    lazy.subarray(0, 10);
    assert.equal(collections, 1, 'before the next read');
    lazy.subarray(0, 10);
    assert.equal(collections, 1, 'once');
    lazy.subarray(500, 1000);
    lazy.close();
    assert.equal(collections, 2, 'at close');
  });

  it('collects after reads of 64 MiB or more by default', (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-lazy-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'sparse.bin');
    writeFileSync(file, new Uint8Array(0));
    truncateSync(file, 64 * 1024 * 1024); // sparse: no disk written
    let collections = 0;
    const lazy = new LazyFileBytes(file, { collect: () => collections++ });
    lazy.subarray(0, 64 * 1024 * 1024 - 1);
    lazy.subarray(0, 1);
    assert.equal(collections, 0);
    lazy.subarray(0, 64 * 1024 * 1024);
    lazy.subarray(0, 1);
    assert.equal(collections, 1);
    lazy.close();
  });

  it('collects through V8 by default, in a process started without --expose-gc', async () => {
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
    collectGarbage();
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'the flag does not leak into this context');
    assert.equal(runInNewContext('typeof gc'), 'undefined', 'nor into contexts made later');
    // A collection frees what nothing holds: a weak reference to a dropped object is cleared.
    let dropped: object | undefined = {};
    const ref = new WeakRef(dropped);
    dropped = undefined;
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef keeps its target to the end of the job that made it
    collectGarbage();
    assert.equal(ref.deref(), undefined);
  });

  it('is what the engine hands onnxruntime for external data in Node', async () => {
    const files = await NodeModelFiles.open(path.join(FIXTURES, 'hub-qwen2.5-coder'));
    const onnx = await readOnnxFile(files, 'onnx/model.onnx');
    assert.equal(onnx.externalData.length, 1);
    const data = onnx.externalData[0]?.data;
    assert.ok(data instanceof LazyFileBytes);
    data.close();
  });
});
