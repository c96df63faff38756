// The pre-package check of scripts/package.mjs: a bundled model folder ships only when every
// file is listed in its SHA256SUMS with the right hash.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { checkModelFolder, checkNativeFiles, PackageCheckError, parseSha256Sums, parseTarget } from '../../scripts/package.mjs';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('pre-package model check', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tealeaf-package-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  function modelFolder(name: string, files: Record<string, string>, sums: string): string {
    const dir = path.join(root, name);
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    }
    writeFileSync(path.join(dir, 'SHA256SUMS'), sums);
    return dir;
  }

  it('parses text and binary sha256sum lines and rejects paths that leave the folder', () => {
    const sums = parseSha256Sums(`${sha('a')}  config.json\n${sha('b')} *onnx/model.onnx\n\n`, 'SHA256SUMS');
    assert.deepEqual([...sums.entries()], [
      ['config.json', sha('a')],
      ['onnx/model.onnx', sha('b')],
    ]);
    assert.throws(() => parseSha256Sums(`${sha('a')}  ../secret`, 'SHA256SUMS'), PackageCheckError);
    assert.throws(() => parseSha256Sums(`${sha('a')}  /etc/passwd`, 'SHA256SUMS'), PackageCheckError);
    assert.throws(() => parseSha256Sums('not a line', 'SHA256SUMS'), PackageCheckError);
  });

  it('accepts a folder whose files all match', async () => {
    const dir = modelFolder('good', { 'config.json': '{}', 'onnx/model.onnx': 'weights' }, `${sha('{}')}  config.json\n${sha('weights')}  onnx/model.onnx\n`);
    assert.deepEqual(await checkModelFolder(dir), { files: 2, bytes: 9 });
  });

  it('rejects a changed file, a missing file, an unlisted file and a symlink', async () => {
    const changed = modelFolder('changed', { 'config.json': '{"x":1}' }, `${sha('{}')}  config.json\n`);
    await assert.rejects(checkModelFolder(changed), /config\.json: sha256/);
    const missing = modelFolder('missing', { 'config.json': '{}' }, `${sha('{}')}  config.json\n${sha('w')}  onnx/model.onnx\n`);
    await assert.rejects(checkModelFolder(missing), /onnx\/model\.onnx: missing/);
    const unlisted = modelFolder('unlisted', { 'config.json': '{}', 'extra.bin': 'x' }, `${sha('{}')}  config.json\n`);
    await assert.rejects(checkModelFolder(unlisted), /extra\.bin: not listed/);
    const linked = modelFolder('linked', { 'target.json': '{}' }, `${sha('{}')}  config.json\n${sha('{}')}  target.json\n`);
    symlinkSync(path.join(linked, 'target.json'), path.join(linked, 'config.json'));
    await assert.rejects(checkModelFolder(linked), /config\.json: a symlink/);
  });

  it('rejects a folder without SHA256SUMS', async () => {
    const dir = path.join(root, 'nosums');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.json'), '{}');
    await assert.rejects(checkModelFolder(dir), /SHA256SUMS is missing/);
  });
});

describe('native code in the VSIX', () => {
  const common = ['dist/extension.js', 'dist/worker.mjs', 'dist/ort-wasm-simd-threaded.wasm', 'package.json'];
  const linux = ['dist/native/linux-x64/onnxruntime_binding.node', 'dist/native/linux-x64/libonnxruntime.so.1'];

  it('a platform VSIX carries its own addon and nothing of another platform', () => {
    assert.deepEqual(checkNativeFiles([...common, ...linux], 'linux-x64'), linux);
    assert.throws(() => checkNativeFiles([...common, ...linux, 'dist/native/darwin-arm64/libonnxruntime.1.dylib'], 'linux-x64'), /another platform:\n {2}dist\/native\/darwin-arm64\/libonnxruntime\.1\.dylib/);
    assert.throws(() => checkNativeFiles([...common, 'dist/native/linux-x64/libonnxruntime.so.1'], 'linux-x64'), /lacks dist\/native\/linux-x64\/onnxruntime_binding\.node/);
    assert.throws(() => checkNativeFiles([...common, ...linux, 'media/stray.dll'], 'linux-x64'), /media\/stray\.dll/);
  });

  it('the universal VSIX carries no native code at all', () => {
    assert.deepEqual(checkNativeFiles(common, 'universal'), []);
    assert.throws(() => checkNativeFiles([...common, ...linux], 'universal'), /must carry no native code/);
  });

  it('knows the targets onnxruntime-node ships', () => {
    assert.equal(parseTarget(undefined), 'universal');
    assert.equal(parseTarget('win32-arm64'), 'win32-arm64');
    assert.throws(() => parseTarget('linux-armhf'), /unknown --target linux-armhf: use one of linux-x64, /);
  });
});
