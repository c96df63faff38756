// How a model's backend is chosen (src/host/backendSelection.ts): wasm and native as asked, the
// fallback to WASM when the addon will not load, and `auto` deciding by a probe it runs once per
// model and machine — native only when it is faster and gives WASM's tokens — remembered in the
// cache (and a failure of native on a model never remembered). Fake engines and probes: the
// decisions, not the runtimes, are under test here (nativeBackend.test.ts runs the real ones).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { DtypeChoice } from '../../../src/engine/dtype';
import { ModelError, SessionError } from '../../../src/engine/errors';
import type { Engine, ModelInfo } from '../../../src/engine/types';
import { BackendChoiceCache, choiceKey } from '../../../src/host/backendChoiceCache';
import type { ProbeResult } from '../../../src/host/backendProbe';
import { type BackendLoader, type CpuBackend, decide, loadOnBackend, type NativeAvailability, parseBackendPreference } from '../../../src/host/backendSelection';
import { fakeModelInfo } from '../fakeModelInfo';

interface Loaded {
  readonly backend: CpuBackend;
  readonly dtype: DtypeChoice;
  disposed: boolean;
}

/** A loader of fake engines that records every load and disposal. */
function fakeLoader(native: NativeAvailability, fail?: CpuBackend): BackendLoader & { readonly loads: Loaded[]; readonly attempts: string[] } {
  const loads: Loaded[] = [];
  const attempts: string[] = [];
  return {
    loads,
    attempts,
    native: async () => {
      attempts.push('addon');
      return native;
    },
    load: async (backend, dtype) => {
      attempts.push(backend);
      if (backend === fail) throw new SessionError(`${backend} cannot open this model`);
      if (dtype === 'bnb4') throw new ModelError('the folder is refused before any runtime sees it');
      const record: Loaded = { backend, dtype, disposed: false };
      loads.push(record);
      const info: ModelInfo = { ...fakeModelInfo(), backend, dtype: dtype === 'auto' ? 'fp32' : dtype, dtypeReason: `reason for ${dtype}` };
      return {
        info,
        dispose: async () => {
          record.disposed = true;
        },
      } as unknown as Engine;
    },
  };
}

/** Probe results per backend. */
function fakeProbe(results: Partial<Record<CpuBackend, ProbeResult>>): (engine: Engine) => Promise<ProbeResult> {
  return async (engine) => {
    const result = results[engine.info.backend as CpuBackend];
    if (!result) throw new Error(`no probe result for ${engine.info.backend}`);
    return result;
  };
}

const probe = (ms: number, tokens: readonly number[] = [1, 2, 3]): ProbeResult => ({ tokens, promptTokens: 100, prefillMs: ms / 2, decodeMsPerToken: ms / 32, ms });

describe('backend selection', () => {
  let dir: string;
  let cache: BackendChoiceCache;
  let notices: string[];
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-backend-'));
    cache = new BackendChoiceCache(path.join(dir, 'choices.json'));
    notices = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const context = (loader: BackendLoader, results: Partial<Record<CpuBackend, ProbeResult>> = {}) => ({
    loader,
    cache,
    key: async () => 'model-key',
    notice: (_level: 'info' | 'warn', text: string) => notices.push(text),
    probe: fakeProbe(results),
  });

  it('parses the CLI values and refuses others in one sentence', () => {
    assert.equal(parseBackendPreference('native'), 'native');
    assert.throws(() => parseBackendPreference('gpu'), /unknown backend "gpu": use one of auto, wasm, native/);
  });

  it('loads what was asked for when it can', async () => {
    const loader = fakeLoader({ ok: true });
    const engine = await loadOnBackend('native', 'q8', context(loader));
    assert.equal(engine.info.backend, 'native');
    assert.equal(engine.info.backendReason, 'native was asked for');
    assert.deepEqual(loader.loads.map((l) => [l.backend, l.dtype]), [['native', 'q8']]);
    assert.deepEqual(notices, []);
  });

  it('falls back to WASM when the addon will not load, and says why', async () => {
    const loader = fakeLoader({ ok: false, reason: 'onnxruntime-node could not be loaded on linux-x64: missing' });
    for (const preference of ['native', 'auto'] as const) {
      const engine = await loadOnBackend(preference, 'auto', context(loader));
      assert.equal(engine.info.backend, 'wasm');
      assert.match(engine.info.backendReason ?? '', /could not be loaded on linux-x64: missing\); running on WebAssembly|but onnxruntime-node could not be loaded on linux-x64: missing; running on WebAssembly/);
    }
    assert.ok(loader.loads.every((l) => l.backend === 'wasm'));
    assert.match(notices[0] ?? '', /^native backend unavailable: onnxruntime-node could not be loaded on linux-x64: missing; models run on WebAssembly$/);
  });

  it('auto takes native when it is faster with the same tokens, loading each backend once, and remembers it', async () => {
    const loader = fakeLoader({ ok: true });
    const engine = await loadOnBackend('auto', 'auto', context(loader, { wasm: probe(200), native: probe(50) }));
    assert.equal(engine.info.backend, 'native');
    assert.match(engine.info.backendReason ?? '', /^auto: native, 4\.0× faster on the probe \(50 ms native against 200 ms WebAssembly.*\), same tokens$/);
    // WASM measured and disposed first; native ran the file WASM chose and stayed.
    assert.deepEqual(loader.loads.map((l) => [l.backend, l.dtype, l.disposed]), [['wasm', 'auto', true], ['native', 'fp32', false]]);
    assert.equal(engine.info.dtypeReason, 'reason for auto', 'the file keeps the reason of the auto choice');
    assert.equal(notices.length, 1);

    const again = fakeLoader({ ok: true });
    const remembered = await loadOnBackend('auto', 'auto', context(again, {}));
    assert.equal(remembered.info.backend, 'native');
    assert.match(remembered.info.backendReason ?? '', /\(measured earlier on this machine\)$/);
    assert.deepEqual(again.loads.map((l) => [l.backend, l.dtype]), [['native', 'fp32']], 'no probe, no WASM load');
  });

  it('auto keeps WASM when native gives other tokens, or is slower', async () => {
    for (const [native, why] of [
      [probe(50, [1, 2, 4]), /native gave other tokens on the probe/],
      [probe(300), /WebAssembly, faster on the probe \(300 ms native against 200 ms WebAssembly/],
    ] as const) {
      rmSync(path.join(dir, 'choices.json'), { force: true });
      const loader = fakeLoader({ ok: true });
      const engine = await loadOnBackend('auto', 'q8', context(loader, { wasm: probe(200), native }));
      assert.equal(engine.info.backend, 'wasm');
      assert.match(engine.info.backendReason ?? '', why);
      assert.deepEqual(loader.loads.map((l) => [l.backend, l.disposed]), [['wasm', true], ['native', true], ['wasm', false]]);
      assert.equal((await cache.get('model-key'))?.backend, 'wasm');
    }
  });

  it('a model native cannot open runs on WebAssembly, and one WASM cannot open on native under auto', async () => {
    const nativeFails = fakeLoader({ ok: true }, 'native');
    const engine = await loadOnBackend('native', 'auto', context(nativeFails));
    assert.equal(engine.info.backend, 'wasm');
    assert.equal(engine.info.backendReason, 'native was asked for, but native could not open this model (native cannot open this model); running on WebAssembly');
    assert.equal(notices.length, 1);

    const wasmFails = fakeLoader({ ok: true }, 'wasm');
    const onNative = await loadOnBackend('auto', 'auto', context(wasmFails, {}));
    assert.equal(onNative.info.backend, 'native');
    assert.match(onNative.info.backendReason ?? '', /^auto: native \(WebAssembly could not open this model: wasm cannot open this model\)$/);
    await assert.rejects(loadOnBackend('wasm', 'auto', context(wasmFails)), /wasm cannot open this model/);

    // A folder Tealeaf itself refuses is not tried on the other runtime.
    const refused = fakeLoader({ ok: true });
    await assert.rejects(loadOnBackend('native', 'bnb4', context(refused)), /refused before any runtime/);
    await assert.rejects(loadOnBackend('auto', 'bnb4', context(refused)), /refused before any runtime/);
    assert.deepEqual(refused.attempts, ['addon', 'native', 'wasm'], 'auto refuses on WASM before it even loads the addon');
  });

  it('auto does not remember that native failed on a model', async () => {
    const loader = fakeLoader({ ok: true }, 'native');
    const engine = await loadOnBackend('auto', 'auto', context(loader, { wasm: probe(200) }));
    assert.equal(engine.info.backend, 'wasm');
    assert.match(engine.info.backendReason ?? '', /native failed on this model: native cannot open this model/);
    assert.equal(await cache.get('model-key'), undefined);
  });

  it('decide() compares the probe totals', () => {
    assert.equal(decide(probe(100), probe(99), undefined, 'fp32', 'r').backend, 'native');
    assert.equal(decide(probe(100), probe(100), undefined, 'fp32', 'r').backend, 'wasm');
    assert.equal(decide(probe(100), undefined, 'broken', 'fp32', 'r').backend, 'wasm');
  });
});

describe('backend choice cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tealeaf-backend-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keys a model by its files, dtype, threads and runtimes', async () => {
    const model = path.join(dir, 'model');
    mkdirSync(path.join(model, 'onnx'), { recursive: true });
    writeFileSync(path.join(model, 'config.json'), '{}');
    writeFileSync(path.join(model, 'onnx', 'model.onnx'), 'graph');
    const facts = { dtype: 'auto', threads: 2, runtimes: 'web 1.30.0 node 1.30.0' };
    const key = await choiceKey(model, facts);
    assert.equal(await choiceKey(model, facts), key);
    assert.notEqual(await choiceKey(model, { ...facts, dtype: 'q8' }), key);
    assert.notEqual(await choiceKey(model, { ...facts, threads: 4 }), key);
    assert.notEqual(await choiceKey(model, { ...facts, runtimes: 'web 1.30.0 node 1.31.0' }), key);
    writeFileSync(path.join(model, 'onnx', 'model_q4.onnx'), 'another');
    const withFile = await choiceKey(model, facts);
    assert.notEqual(withFile, key);
    utimesSync(path.join(model, 'onnx', 'model.onnx'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    assert.notEqual(await choiceKey(model, facts), withFile, 'a file written again is another model');
  });

  it('ignores a malformed file and entries, and works without a file', async () => {
    const file = path.join(dir, 'choices.json');
    writeFileSync(file, '{"version":1,"choices":{"a":{"backend":"gpu","dtype":"fp32","dtypeReason":"r","reason":"r","measured":{}}}}');
    const cache = new BackendChoiceCache(file);
    assert.equal(await cache.get('a'), undefined);
    writeFileSync(file, 'not json');
    assert.equal(await cache.get('a'), undefined);
    const choice = { backend: 'native' as const, dtype: 'fp32', dtypeReason: 'r', reason: 'auto: native', measured: {} };
    await cache.set('b', choice);
    assert.deepEqual(await new BackendChoiceCache(file).get('b'), choice);
    const none = new BackendChoiceCache(undefined);
    await none.set('b', choice);
    assert.equal(await none.get('b'), undefined);
  });

  it('counts an entry only with every field of its kind, and a file only of its version', async () => {
    const file = path.join(dir, 'choices.json');
    const good = { backend: 'wasm', dtype: 'q8', dtypeReason: 'r', reason: 'auto: wasm', measured: {} };
    const write = (version: unknown, entry: unknown) => writeFileSync(file, JSON.stringify({ version, choices: { k: entry } }));
    write(1, good);
    assert.deepEqual(await new BackendChoiceCache(file).get('k'), good);
    for (const [field, value] of [['backend', 'webgpu'], ['dtype', 8], ['dtypeReason', null], ['reason', undefined]] as const) {
      write(1, { ...good, [field]: value });
      assert.equal(await new BackendChoiceCache(file).get('k'), undefined, `${field}: ${String(value)}`);
    }
    write(2, good);
    assert.equal(await new BackendChoiceCache(file).get('k'), undefined, 'another version');
    writeFileSync(file, JSON.stringify({ version: 1, choices: null }));
    assert.equal(await new BackendChoiceCache(file).get('k'), undefined);
    writeFileSync(file, JSON.stringify({ version: 1 }));
    assert.equal(await new BackendChoiceCache(file).get('k'), undefined);
  });

  it('keeps the 64 newest entries, a rewritten one counting as new', async () => {
    const file = path.join(dir, 'choices.json');
    const cache = new BackendChoiceCache(file);
    const choice = (n: number) => ({ backend: 'wasm' as const, dtype: 'fp32', dtypeReason: 'r', reason: `entry ${n}`, measured: {} });
    for (let n = 0; n < 65; n++) await cache.set(`k${n}`, choice(n));
    assert.equal(await cache.get('k0'), undefined);
    assert.deepEqual(await cache.get('k1'), choice(1));
    await cache.set('k1', choice(100));
    await cache.set('k65', choice(65));
    assert.deepEqual(await cache.get('k1'), choice(100), 'rewritten: newest');
    assert.equal(await cache.get('k2'), undefined, 'now the oldest: dropped');
    assert.deepEqual(await cache.get('k64'), choice(64));
  });
});
