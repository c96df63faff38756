// The small pure parts of the Hub client: repository references, environment variables,
// NO_PROXY, progress arithmetic.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_ENDPOINT, hubEnvironment } from '../../../src/hub/environment';
import { describeProgress, ProgressMeter } from '../../../src/hub/progress';
import { bypassesProxy, proxyFor } from '../../../src/hub/proxy';
import { looksLikeRepoRef, parseRepoRef } from '../../../src/hub/repoId';

describe('repository references', () => {
  it('parses owner/name[@revision] and refuses what the Hub would', () => {
    assert.deepEqual(parseRepoRef('Xenova/gpt2'), { repo: 'Xenova/gpt2', revision: 'main' });
    assert.deepEqual(parseRepoRef('onnx-community/Qwen2.5-Coder-0.5B-Instruct@v1.0'), { repo: 'onnx-community/Qwen2.5-Coder-0.5B-Instruct', revision: 'v1.0' });
    assert.deepEqual(parseRepoRef('a/b', 'refs/pr/1'), { repo: 'a/b', revision: 'refs/pr/1' });
    assert.throws(() => parseRepoRef('gpt2'), /"gpt2" is not a Hub model name: use owner\/name/);
    assert.throws(() => parseRepoRef('a/b/c'), /not a Hub model name/);
    assert.throws(() => parseRepoRef('a--b/c'), /not a Hub model name/);
    assert.throws(() => parseRepoRef('a/b@../x'), /"..\/x" is not a revision/);
    assert.throws(() => parseRepoRef('a/b@v1', 'v2'), /two revisions given for a\/b: v1 and v2/);
  });

  it('tells a repository from a folder for --model', () => {
    const none = () => false;
    assert.equal(looksLikeRepoRef('Xenova/gpt2', none), true);
    assert.equal(looksLikeRepoRef('Xenova/gpt2@main', none), true);
    assert.equal(looksLikeRepoRef('models/tealeaf-code', (p) => p === 'models/tealeaf-code'), false);
    assert.equal(looksLikeRepoRef('./a/b', none), false);
    assert.equal(looksLikeRepoRef('/abs/path', none), false);
    assert.equal(looksLikeRepoRef('a/b/c', none), false);
  });
});

describe('hubEnvironment', () => {
  it('reads the variables the Hugging Face clients read, settings first', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'tealeaf-hf-home-'));
    try {
      writeFileSync(path.join(home, 'token'), 'hf_from_file\n');
      const env = hubEnvironment({}, { HF_HOME: home, HF_ENDPOINT: 'https://mirror.example/', HF_HUB_OFFLINE: '1', HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost' });
      assert.equal(env.endpoint, 'https://mirror.example');
      assert.equal(env.cacheDir, path.join(home, 'hub'));
      assert.equal(env.offline, true);
      assert.equal(env.token, 'hf_from_file');
      assert.equal(env.proxy, 'http://proxy:3128');
      assert.equal(env.noProxy, 'localhost');
      const overridden = hubEnvironment({ cacheDir: '~/models', token: 'hf_secret', proxy: 'http://vscode:8080' }, { HF_HOME: home, HF_TOKEN: 'hf_env', HF_HUB_CACHE: '/x' });
      assert.equal(overridden.cacheDir, path.join(homedir(), 'models'));
      assert.equal(overridden.token, 'hf_secret');
      assert.equal(overridden.proxy, 'http://vscode:8080');
      assert.equal(hubEnvironment({}, { HF_HUB_CACHE: '/cache/hub', HF_HOME: home }).cacheDir, '/cache/hub');
      assert.equal(hubEnvironment({}, { HF_TOKEN: 'hf_env', HF_HOME: home }).token, 'hf_env');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('defaults to huggingface.co, online, without proxy or token', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'tealeaf-hf-empty-'));
    mkdirSync(path.join(empty, 'hub'));
    const env = hubEnvironment({}, { HF_HOME: empty });
    rmSync(empty, { recursive: true, force: true });
    assert.deepEqual(env, { endpoint: DEFAULT_ENDPOINT, cacheDir: path.join(empty, 'hub'), offline: false, noProxy: '' });
  });
});

describe('NO_PROXY', () => {
  it('matches hosts, domain suffixes, ports and *', () => {
    const url = new URL('https://cdn-lfs.huggingface.co/repos/x');
    assert.equal(bypassesProxy(url, 'huggingface.co'), true);
    assert.equal(bypassesProxy(url, '.huggingface.co'), true);
    assert.equal(bypassesProxy(url, 'other.co, *.huggingface.co'), true);
    assert.equal(bypassesProxy(url, 'face.co'), false);
    assert.equal(bypassesProxy(url, 'huggingface.co:8443'), false);
    assert.equal(bypassesProxy(url, 'huggingface.co:443'), true);
    assert.equal(bypassesProxy(url, '*'), true);
    assert.equal(bypassesProxy(new URL('http://127.0.0.1:9/x'), 'localhost,127.0.0.1'), true);
    assert.equal(proxyFor(url, 'proxy:3128', '')?.href, 'http://proxy:3128/');
    assert.equal(proxyFor(url, 'proxy:3128', 'huggingface.co'), undefined);
    assert.throws(() => proxyFor(url, 'socks5://proxy:1080', ''), /only http:\/\/ proxies are supported/);
  });
});

describe('ProgressMeter', () => {
  it('reports bytes, the rate over the last seconds and the time left', () => {
    let now = 0;
    const meter = new ProgressMeter(10_000_000, () => now);
    now = 1000;
    const first = meter.add(1_000_000, 'onnx/model.onnx');
    assert.equal(first.bytesPerSecond, 1_000_000);
    assert.equal(first.secondsLeft, 9);
    now = 2000;
    const second = meter.add(3_000_000, 'onnx/model.onnx');
    assert.equal(second.doneBytes, 4_000_000);
    assert.equal(second.bytesPerSecond, 2_000_000);
    assert.equal(second.secondsLeft, 3);
    assert.equal(describeProgress(second), '3.8 MB of 9.5 MB, 1.9 MB/s, 3 s left');
    // Older samples leave the window: the rate follows the recent speed.
    now = 20_000;
    meter.add(0, 'x');
    now = 21_000;
    assert.equal(meter.add(500_000, 'x').bytesPerSecond, 500_000);
  });
});
