// The CLI's backends: `--backend native|wasm` give the same tokens, `auto` (the default) picks one
// and remembers its measurement in the cache folder, `tealeaf bench --backends --json` lists every
// backend (the webview ones in headless Chromium) with times under the keys the issue pins, and an
// unknown backend is one sentence.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../engine/helpers';
import { copyBase } from '../hostile/catalogue';

const CLI = path.join(ROOT, 'bin', 'tealeaf.mjs');
const BUILT = path.join(ROOT, 'dist', 'cli.mjs');

describe('tealeaf --backend and bench --backends', { skip: !existsSync(BUILT) && 'run `npm run build` first (npm test does)' }, () => {
  let cache: string;
  before(() => {
    cache = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-cli-cache-'));
  });
  after(() => rmSync(cache, { recursive: true, force: true }));

  const cli = (args: readonly string[]) => {
    const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, XDG_CACHE_HOME: cache } });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const generate = (backend: string) => {
    const out = cli(['generate', '--backend', backend, '--max-new-tokens', '12', '--threads', '1', '--json', 'def parse_args(argv):']);
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout) as { backend: string; tokens: number[] };
  };

  it('generates the same tokens on native and on WASM', () => {
    const native = generate('native');
    const wasm = generate('wasm');
    assert.equal(native.backend, 'native');
    assert.equal(wasm.backend, 'wasm');
    assert.deepEqual(native.tokens, wasm.tokens);
  });

  it('auto measures once per model and machine and remembers it', () => {
    const first = generate('auto');
    const file = path.join(cache, 'tealeaf', 'backend-choices.json');
    const remembered = JSON.parse(readFileSync(file, 'utf8')) as { choices: Record<string, { backend: string; reason: string }> };
    const entries = Object.values(remembered.choices);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.backend, first.backend);
    assert.match(entries[0]?.reason ?? '', /^auto: /);
    assert.equal(generate('auto').backend, first.backend);
    assert.equal(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { choices: object }).choices).length, 1, 'the second run measured nothing new');
  });

  it('bench --backends --json lists the backends of the worker and of the engine panel (the same page in headless Chromium) with their times and tokens', () => {
    const out = cli(['bench', '--backends', '--threads', '1', '--model', path.join(ROOT, 'test', 'fixtures', 'models', 'tiny-llama'), '--json']);
    assert.equal(out.status, 0, out.stderr);
    const { backends } = JSON.parse(out.stdout) as { backends: { name: string; available: boolean; decodeMsPerToken: number; prefillMs: number; reason: string }[] };
    assert.deepEqual(backends.map((b) => b.name), ['wasm-worker', 'native-worker', 'wasm-webview', 'webgpu-webview']);
    for (const backend of backends) {
      assert.deepEqual(Object.keys(backend).sort(), ['available', 'decodeMsPerToken', 'name', 'prefillMs', 'reason']);
      assert.equal(backend.available, true, `${backend.name}: ${backend.reason}`);
      assert.ok(backend.prefillMs > 0 && backend.decodeMsPerToken > 0);
    }
    assert.match(backends[1]?.reason ?? '', /^onnxruntime-node, onnx\/model\.onnx \(fp32\), prompt of \d+ tokens; same tokens as wasm-worker$/);
    assert.match(backends[2]?.reason ?? '', /^onnxruntime-web WebAssembly, one thread in headless Chromium \(wasm-webview was asked for: .*\), onnx\/model\.onnx \(fp32\), prompt of \d+ tokens; same tokens as wasm-worker$/);
    // SwiftShader gives Chromium a WebGPU adapter without a GPU.
    assert.match(backends[3]?.reason ?? '', /^onnxruntime-web WebGPU in headless Chromium \(webgpu-webview was asked for: WebGPU in the Tealeaf Engine panel \(.+\)\), onnx\/model\.onnx \(fp32\), prompt of \d+ tokens; same tokens as wasm-worker$/);
  });

  it('bench --backends says why a webview backend cannot run when there is no Chromium', () => {
    const result = spawnSync(process.execPath, [CLI, 'bench', '--backends', '--threads', '1', '--model', path.join(ROOT, 'test', 'fixtures', 'models', 'tiny-llama'), '--json'], {
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, XDG_CACHE_HOME: cache, CHROMIUM_PATH: path.join(cache, 'no-chromium-here') },
    });
    assert.equal(result.status, 0, result.stderr);
    const { backends } = JSON.parse(result.stdout) as { backends: { name: string; available: boolean; reason: string }[] };
    const webview = backends.filter((b) => b.name.endsWith('-webview'));
    assert.deepEqual(webview.map((b) => [b.name, b.available]), [['wasm-webview', false], ['webgpu-webview', false]]);
    for (const b of webview) assert.match(b.reason, /no-chromium-here/);
  });

  it('auto opens on native a folder over what WebAssembly can hold', () => {
    // Weights in a 10 GB sparse external-data file: WASM refuses it (hostileFolders.test.ts), native
    // reads only the bytes the graph points at.
    const dir = path.join(cache, 'over-wasm');
    copyBase('qwen-external', dir);
    truncateSync(path.join(dir, 'onnx', 'model.onnx_data'), 10 * 1024 ** 3);
    const out = cli(['generate', '--model', dir, '--max-new-tokens', '2', '--json', 'a']);
    assert.equal(out.status, 0, out.stderr);
    const result = JSON.parse(out.stdout) as { backend: string; tokens: number[] };
    assert.equal(result.backend, 'native');
    assert.equal(result.tokens.length, 2);
  });

  it('refuses an unknown backend in one sentence', () => {
    const out = cli(['generate', '--backend', 'gpu', 'x']);
    assert.equal(out.status, 1);
    assert.match(out.stderr, /^tealeaf: unknown backend "gpu": use one of auto, wasm, native$/m);
  });
});
