// Downloads against the local mock Hub: fresh, again from the cache, reusing a cache Python laid
// out, resuming after a dropped connection and after a cancel, refusing a corrupted file, and the
// one-sentence errors (gated, missing, no ONNX, offline).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { readModelFolder } from '../../../src/engine/modelFolder';
import { NodeModelFiles } from '../../../src/host/nodeModelFiles';
import { blobPath, repoFolder } from '../../../src/hub/cacheLayout';
import { downloadModel } from '../../../src/hub/downloadModel';
import { hubEnvironment, type HubEnvironment } from '../../../src/hub/environment';
import { ChecksumError, HubAuthError, HubError } from '../../../src/hub/errors';
import { FIXTURE_REPOS, FIXTURES, isLfsPath, type MockHub, startMockHub } from './mockHub';

const GPT2 = 'Xenova/gpt2';
const QWEN = 'onnx-community/Qwen2.5-Coder-0.5B-Instruct';
const TOKEN = 'hf_test_token';

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('downloadModel against the mock Hub', () => {
  let hub: MockHub;
  let cacheDir: string;
  let env: HubEnvironment;
  before(async () => {
    hub = await startMockHub({ repos: FIXTURE_REPOS, token: TOKEN });
  });
  after(async () => hub.close());
  beforeEach(() => {
    cacheDir = mkdtempSync(path.join(tmpdir(), 'tealeaf-hub-'));
    env = hubEnvironment({ cacheDir }, { HF_ENDPOINT: hub.endpoint });
    hub.requests.length = 0;
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  const fileRequests = () => hub.requests.filter((r) => r.server === 'files');
  const resolveRequests = () => hub.requests.filter((r) => r.url.includes('/resolve/'));

  it('downloads only the files of one dtype into the Hub cache layout, pinned to the commit', async () => {
    const result = await downloadModel(env, { repo: QWEN, revision: 'main', dtype: 'fp32' });
    const commit = hub.commitOf(QWEN);
    assert.equal(result.commit, commit);
    assert.equal(result.dtype, 'fp32');
    assert.equal(result.path, path.join(cacheDir, 'models--onnx-community--Qwen2.5-Coder-0.5B-Instruct', 'snapshots', commit));
    assert.deepEqual(
      result.files.map((f) => f.path).sort(),
      ['config.json', 'generation_config.json', 'onnx/model.onnx', 'onnx/model.onnx_data', 'tokenizer.json', 'tokenizer_config.json'],
    );
    for (const file of result.files) {
      const fixture = path.join(FIXTURES, 'hub-qwen2.5-coder', file.path);
      assert.equal(file.sha256, sha256File(fixture), file.path);
      assert.equal(file.bytes, statSync(fixture).size, file.path);
      // Relative symlinks into this repository's blobs/, named by SHA-256 (LFS) or git blob id.
      const pointer = path.join(result.path, file.path);
      assert.ok(lstatSync(pointer).isSymbolicLink(), `${file.path} is not a symlink`);
      const target = readlinkSync(pointer);
      assert.ok(!path.isAbsolute(target) && target.includes(`blobs${path.sep}`), target);
      const entry = hub.file(QWEN, file.path);
      assert.equal(path.basename(target), isLfsPath(file.path) ? entry.sha256 : entry.gitOid);
    }
    assert.equal(readFileSync(path.join(repoFolder(cacheDir, QWEN), 'refs', 'main'), 'utf8'), commit);
    assert.equal(result.downloadedBytes, result.files.reduce((sum, f) => sum + f.bytes, 0));
    // No other dtype's file was fetched.
    assert.deepEqual(readdirSync(path.join(result.path, 'onnx')).sort(), ['model.onnx', 'model.onnx_data']);
    // The model folder loader opens the snapshot through its symlinks.
    const folder = await readModelFolder(await NodeModelFiles.open(result.path));
    assert.equal(folder.config.kind, 'decoder');
  });

  it('a second run fetches nothing: no file bytes and no resolve requests', async () => {
    await downloadModel(env, { repo: GPT2, revision: 'main', dtype: 'q8' });
    hub.requests.length = 0;
    const again = await downloadModel(env, { repo: GPT2, revision: 'main', dtype: 'q8' });
    assert.equal(again.downloadedBytes, 0);
    assert.deepEqual(fileRequests(), []);
    assert.deepEqual(resolveRequests(), []);
    assert.equal(again.files.find((f) => f.path.endsWith('.onnx'))?.path, 'onnx/decoder_model_merged_quantized.onnx');
  });

  it("reuses a cache laid out by Python's huggingface_hub (symlinks into blobs/, refs/main)", async () => {
    // Python's layout, written by hand: blobs named by SHA-256 (LFS) or git blob id, relative links.
    const commit = hub.commitOf(GPT2);
    const repoDir = path.join(cacheDir, 'models--Xenova--gpt2');
    mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
    mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
    writeFileSync(path.join(repoDir, 'refs', 'main'), commit);
    for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      const entry = hub.file(GPT2, file);
      const blob = isLfsPath(file) ? entry.sha256 : entry.gitOid;
      writeFileSync(path.join(repoDir, 'blobs', blob), entry.bytes);
      const pointer = path.join(repoDir, 'snapshots', commit, file);
      mkdirSync(path.dirname(pointer), { recursive: true });
      symlinkSync(path.relative(path.dirname(pointer), path.join(repoDir, 'blobs', blob)), pointer);
    }
    const result = await downloadModel(env, { repo: GPT2, revision: 'main', dtype: 'fp32' });
    assert.equal(result.downloadedBytes, 0);
    assert.deepEqual(fileRequests(), []);
    assert.equal(result.path, path.join(repoDir, 'snapshots', commit));
  });

  it('a blob already in blobs/ (another revision, another client) is linked, not fetched', async () => {
    const entry = hub.file(GPT2, 'onnx/model.onnx');
    const blob = blobPath(cacheDir, GPT2, entry.sha256);
    mkdirSync(path.dirname(blob), { recursive: true });
    writeFileSync(blob, entry.bytes);
    const result = await downloadModel(env, { repo: GPT2, revision: 'main', dtype: 'fp32' });
    assert.equal(fileRequests().length, 0, 'the ONNX blob was fetched again');
    assert.equal(result.downloadedBytes, result.files.filter((f) => !f.path.endsWith('.onnx')).reduce((s, f) => s + f.bytes, 0));
  });

  it('resumes after a dropped connection: only the missing bytes are fetched and the SHA-256 matches', async () => {
    const data = hub.file(QWEN, 'onnx/model.onnx_data');
    const dropAt = 250_000;
    hub.faults.dropAfter.set('onnx/model.onnx_data', dropAt);
    const result = await downloadModel(env, { repo: QWEN, revision: 'main', dtype: 'fp32' });
    const dataRequests = fileRequests().filter((r) => r.url.includes(data.sha256));
    assert.equal(dataRequests.length, 2);
    assert.equal(dataRequests[0]?.range, undefined);
    assert.equal(dataRequests[0]?.sent, dropAt);
    // The resume starts where the partial file ends (at most what was sent before the drop) and asks for the rest only.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(dataRequests[1]?.range ?? '')?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= dropAt, `resumed at ${dataRequests[1]?.range}`);
    assert.equal(dataRequests[1]?.sent, data.bytes.length - resumedAt);
    assert.equal(result.downloadedBytes, result.files.reduce((sum, f) => sum + f.bytes, 0));
    assert.equal(result.files.find((f) => f.path === 'onnx/model.onnx_data')?.sha256, data.sha256);
    assert.equal(sha256File(path.join(result.path, 'onnx', 'model.onnx_data')), data.sha256);
  });

  it('cancel leaves no loadable model; the next run resumes the partial file with Range', async () => {
    const data = hub.file(QWEN, 'onnx/model.onnx_data');
    const controller = new AbortController();
    await assert.rejects(
      downloadModel(env, {
        repo: QWEN,
        revision: 'main',
        dtype: 'fp32',
        signal: controller.signal,
        onProgress: (p) => {
          if (p.file === 'onnx/model.onnx_data' && p.doneBytes > 100_000) controller.abort();
        },
      }),
      (error: Error) => error.name === 'AbortError',
    );
    const repoDir = repoFolder(cacheDir, QWEN);
    assert.equal(existsSync(path.join(repoDir, 'snapshots')), false, 'a cancelled download left a snapshot');
    assert.equal(existsSync(path.join(repoDir, 'refs', 'main')), false, 'a cancelled download pinned a ref');
    const partial = statSync(`${blobPath(cacheDir, QWEN, data.sha256)}.incomplete`).size;
    assert.ok(partial > 0 && partial < data.bytes.length, `partial file of ${partial} bytes`);

    hub.requests.length = 0;
    const result = await downloadModel(env, { repo: QWEN, revision: 'main', dtype: 'fp32' });
    const resumed = fileRequests().filter((r) => r.url.includes(data.sha256));
    assert.deepEqual(resumed.map((r) => r.range), [`bytes=${partial}-`]);
    assert.equal(resumed[0]?.sent, data.bytes.length - partial);
    assert.equal(sha256File(path.join(result.path, 'onnx', 'model.onnx_data')), data.sha256);
  });

  it('a corrupted byte: the file is refused, nothing enters blobs/, no snapshot is left', async () => {
    hub.faults.corrupt.add('onnx/model.onnx');
    try {
      await assert.rejects(downloadModel(env, { repo: GPT2, revision: 'main', dtype: 'fp32' }), (error: Error) => {
        assert.ok(error instanceof ChecksumError, error.message);
        assert.match(error.message, /onnx\/model\.onnx failed its checksum .* and was discarded/);
        return true;
      });
    } finally {
      hub.faults.corrupt.clear();
    }
    const sha = hub.file(GPT2, 'onnx/model.onnx').sha256;
    const blobs = readdirSync(path.join(repoFolder(cacheDir, GPT2), 'blobs'));
    assert.ok(!blobs.some((b) => b.startsWith(sha)), `blobs/ holds ${blobs.join(', ')}`);
    assert.equal(existsSync(path.join(repoFolder(cacheDir, GPT2), 'snapshots')), false);
  });

  it('a gated repository asks for a token, and downloads with one (sent to the Hub, never to the file host)', async () => {
    await assert.rejects(downloadModel(env, { repo: 'tealeaf-tests/gated-gpt2', revision: 'main', dtype: 'q8' }), (error: Error) => {
      assert.ok(error instanceof HubAuthError);
      assert.match(error.message, /is gated: accept its terms at .*, then run "Tealeaf: Sign In to Hugging Face…" or set HF_TOKEN/);
      return true;
    });
    const withToken = hubEnvironment({ cacheDir, token: TOKEN }, { HF_ENDPOINT: hub.endpoint });
    hub.requests.length = 0;
    const result = await downloadModel(withToken, { repo: 'tealeaf-tests/gated-gpt2', revision: 'main', dtype: 'q8' });
    assert.ok(result.downloadedBytes > 0);
    assert.ok(hub.requests.filter((r) => r.server === 'hub').every((r) => r.authorization === `Bearer ${TOKEN}`));
    assert.ok(fileRequests().length > 0 && fileRequests().every((r) => r.authorization === undefined));
  });

  it('one clear sentence each: unknown repository, unknown revision, no ONNX files, offline with an empty cache', async () => {
    await assert.rejects(downloadModel(env, { repo: 'nobody/nothing', revision: 'main', dtype: 'auto' }), /^HubAuthError: nobody\/nothing was not found on http:\/\/127\.0\.0\.1:\d+, or it is private: check the name/);
    const withToken = hubEnvironment({ cacheDir, token: TOKEN }, { HF_ENDPOINT: hub.endpoint });
    await assert.rejects(downloadModel(withToken, { repo: 'nobody/nothing', revision: 'main', dtype: 'auto' }), /^HubError: nobody\/nothing was not found on http/);
    await assert.rejects(downloadModel(env, { repo: GPT2, revision: 'v9', dtype: 'auto' }), /^HubError: Xenova\/gpt2 has no revision "v9"$/);
    await assert.rejects(downloadModel(env, { repo: 'tealeaf-tests/no-onnx', revision: 'main', dtype: 'auto' }), /has no ONNX model in the transformers.js layout/);
    await assert.rejects(downloadModel(env, { repo: 'HuggingFaceTB/SmolLM2-135M-Instruct', revision: 'main', dtype: 'q8' }), (error: Error) => {
      assert.ok(error instanceof HubError);
      assert.equal(error.message, 'HuggingFaceTB/SmolLM2-135M-Instruct has no q8 file; it has fp32, fp16, q4, q4f16');
      return true;
    });
    const offline = hubEnvironment({ cacheDir, offline: true }, { HF_ENDPOINT: hub.endpoint });
    hub.requests.length = 0;
    await assert.rejects(downloadModel(offline, { repo: GPT2, revision: 'main', dtype: 'auto' }), /^HubError: offline \(HF_HUB_OFFLINE or tealeaf\.hub\.offline\) and Xenova\/gpt2@main is not in the cache/);
    assert.deepEqual(hub.requests, []);
  });

  it('offline after a download: the pinned snapshot is used without a single request', async () => {
    const online = await downloadModel(env, { repo: GPT2, revision: 'main', dtype: 'q8' });
    hub.requests.length = 0;
    const offline = hubEnvironment({ cacheDir }, { HF_ENDPOINT: hub.endpoint, HF_HUB_OFFLINE: '1' });
    const result = await downloadModel(offline, { repo: GPT2, revision: 'main', dtype: 'q8' });
    assert.deepEqual(hub.requests, []);
    assert.equal(result.path, online.path);
    assert.deepEqual(result.files, online.files);
    await assert.rejects(downloadModel(offline, { repo: GPT2, revision: 'main', dtype: 'fp16' }), /has no complete fp16 model in the cache/);
  });
});
