// How a model's backend is chosen (src/host/backendSelection.ts): wasm and native as asked, the
// fallback to WASM when the addon will not load, and `auto` deciding by a probe it runs once per
// model and machine — native only when it is faster and gives WASM's tokens — remembered in the
// cache (and a failure of native on a model never remembered). Fake engines and probes: the
// decisions, not the runtimes, are under test here (nativeBackend.test.ts runs the real ones).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, mkdirSync, promises as fsPromises, renameSync, symlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import nodeOs from 'node:os';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
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
    const onWasm = await loadOnBackend('wasm', 'q8', context(loader));
    assert.equal(onWasm.info.backendReason, 'WebAssembly was asked for');
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
    assert.equal(engine.info.backendReason, 'auto: native, 4.0× faster on the probe (50 ms native against 200 ms WebAssembly: prefill 25 vs 100 ms, decode 1.56 vs 6.25 ms/token), same tokens');
    // WASM measured and disposed first; native ran the file WASM chose and stayed.
    assert.deepEqual(loader.loads.map((l) => [l.backend, l.dtype, l.disposed]), [['wasm', 'auto', true], ['native', 'fp32', false]]);
    assert.equal(engine.info.dtypeReason, 'reason for auto', 'the file keeps the reason of the auto choice');
    assert.deepEqual(notices, [`fake: ${engine.info.backendReason}`]);
    // What was measured is remembered with the choice, step times included.
    assert.deepEqual((await cache.get('model-key'))?.measured, {
      wasm: { ms: 200, prefillMs: 100, decodeMsPerToken: 6.25 },
      native: { ms: 50, prefillMs: 25, decodeMsPerToken: 1.5625 },
    });

    const again = fakeLoader({ ok: true });
    const remembered = await loadOnBackend('auto', 'auto', context(again, {}));
    assert.equal(remembered.info.backend, 'native');
    assert.match(remembered.info.backendReason ?? '', /\(measured earlier on this machine\)$/);
    assert.deepEqual(again.loads.map((l) => [l.backend, l.dtype]), [['native', 'fp32']], 'no probe, no WASM load');
    // Native opened fp32 by name, but the file is still auto's choice, for auto's reason.
    assert.equal(remembered.info.dtypeReason, 'reason for auto');
  });

  it('a remembered choice says it was measured earlier, and native remembered but now unavailable runs on WebAssembly', async () => {
    await cache.set('model-key', { backend: 'wasm', dtype: 'q8', dtypeReason: 'r', reason: 'auto: WebAssembly, faster on the probe (300 ms native against 200 ms WebAssembly)', measured: {} });
    const onWasm = await loadOnBackend('auto', 'q8', context(fakeLoader({ ok: true })));
    assert.equal(onWasm.info.backendReason, 'auto: WebAssembly, faster on the probe (300 ms native against 200 ms WebAssembly) (measured earlier on this machine)');

    await cache.set('model-key', { backend: 'native', dtype: 'q8', dtypeReason: 'r', reason: 'auto: native, 2.0× faster', measured: {} });
    const loader = fakeLoader({ ok: false, reason: 'onnxruntime-node could not be loaded on linux-x64: missing' });
    const engine = await loadOnBackend('auto', 'q8', context(loader));
    assert.equal(engine.info.backend, 'wasm');
    assert.equal(engine.info.backendReason, 'auto: native is unavailable (onnxruntime-node could not be loaded on linux-x64: missing); running on WebAssembly');
    assert.deepEqual(notices, ['native backend unavailable: onnxruntime-node could not be loaded on linux-x64: missing; models run on WebAssembly']);
  });

  it('auto stays on WebAssembly when the probe fails there, and says why', async () => {
    const loader = fakeLoader({ ok: true });
    const engine = await loadOnBackend('auto', 'auto', context(loader, {}));
    assert.equal(engine.info.backend, 'wasm');
    assert.equal(engine.info.backendReason, 'auto: WebAssembly (the probe failed: no probe result for wasm)');
  });

  it('auto keeps WASM when native gives other tokens, or is slower', async () => {
    for (const [native, why] of [
      [probe(50, [1, 2, 4]), /native gave other tokens on the probe/],
      [probe(300), /WebAssembly, faster on the probe \(300 ms native against 200 ms WebAssembly/],
      // Fewer tokens are other tokens too, even when they begin the same.
      [probe(50, [1, 2]), /native gave other tokens on the probe/],
    ] as const) {
      rmSync(path.join(dir, 'choices.json'), { force: true });
      notices = [];
      const loader = fakeLoader({ ok: true });
      const engine = await loadOnBackend('auto', 'q8', context(loader, { wasm: probe(200), native }));
      assert.equal(engine.info.backend, 'wasm');
      assert.match(engine.info.backendReason ?? '', why);
      assert.deepEqual(notices, [`fake: ${engine.info.backendReason}`]);
      assert.deepEqual(loader.loads.map((l) => [l.backend, l.disposed]), [['wasm', true], ['native', true], ['wasm', false]]);
      assert.equal((await cache.get('model-key'))?.backend, 'wasm');
    }
  });

  it('a model native cannot open runs on WebAssembly, and one WASM cannot open on native under auto', async () => {
    const nativeFails = fakeLoader({ ok: true }, 'native');
    const engine = await loadOnBackend('native', 'auto', context(nativeFails));
    assert.equal(engine.info.backend, 'wasm');
    assert.equal(engine.info.backendReason, 'native was asked for, but native could not open this model (native cannot open this model); running on WebAssembly');
    assert.deepEqual(notices, ['fake: native could not open this model (native cannot open this model); it runs on WebAssembly']);

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

  it('decide() gives the step times only when both probes have them, and remembers what each measured', () => {
    const total = (ms: number): ProbeResult => ({ tokens: [1, 2, 3], promptTokens: 100, ms });
    const choice = decide(total(200), total(300), undefined, 'fp32', 'r');
    assert.equal(choice.reason, 'auto: WebAssembly, faster on the probe (300 ms native against 200 ms WebAssembly)');
    assert.equal(decide(probe(200), total(300), undefined, 'fp32', 'r').reason, 'auto: WebAssembly, faster on the probe (300 ms native against 200 ms WebAssembly)');
    // As the cache file holds it.
    assert.deepEqual(JSON.parse(JSON.stringify(choice.measured)), { wasm: { ms: 200 }, native: { ms: 300 } });
    assert.deepEqual(decide(probe(200), undefined, 'broken', 'fp32', 'r').measured, { wasm: { ms: 200, prefillMs: 100, decodeMsPerToken: 6.25 } });
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

  it('keys a model by the machine: another CPU or core count is another key, and a machine that names no CPU has one', async () => {
    const model = path.join(dir, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'config.json'), '{}');
    const facts = { dtype: 'auto', threads: 2, runtimes: 'web 1.30.0 node 1.30.0' };
    const onMachine = async (cpu: string | undefined, cores: number) => {
      // os.cpus() is empty on some Linux containers and Android: the key must not need a CPU.
      const cpus = mock.method(nodeOs, 'cpus', () => (cpu === undefined ? [] : [{ model: cpu, speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } }]));
      const parallelism = mock.method(nodeOs, 'availableParallelism', () => cores);
      try {
        return await choiceKey(model, facts);
      } finally {
        cpus.mock.restore();
        parallelism.mock.restore();
      }
    };
    const key = await onMachine('Example CPU 1', 6);
    assert.equal(await onMachine('Example CPU 1', 6), key);
    assert.notEqual(await onMachine('Other CPU 1', 6), key, 'another CPU');
    assert.notEqual(await onMachine('Example CPU 1', 8), key, 'another core count');
    // The parts are kept apart: "CPU 1" with 6 cores is not "CPU " with 16.
    assert.notEqual(await onMachine('Example CPU ', 16), key);
    assert.match(await onMachine(undefined, 6), /^[0-9a-f]{64}$/);
  });

  it('keys a model by the names of its files, in any order the file system lists them, even of files it cannot read', async () => {
    const model = path.join(dir, 'model');
    mkdirSync(path.join(model, 'onnx'), { recursive: true });
    writeFileSync(path.join(model, 'config.json'), '{}');
    for (const name of ['a.onnx', 'b.onnx', 'c.onnx']) writeFileSync(path.join(model, 'onnx', name), name);
    const facts = { dtype: 'auto', threads: 2, runtimes: 'web 1.30.0 node 1.30.0' };
    const key = await choiceKey(model, facts);
    // Directory order is the file system's (ext4 hashes names); the same files are the same model.
    const listed = await readdir(path.join(model, 'onnx'));
    const reversed = mock.method(fsPromises, 'readdir', async () => [...listed].reverse());
    try {
      assert.equal(await choiceKey(model, facts), key);
    } finally {
      reversed.mock.restore();
    }
    // A link to a file that is gone has no size or time, but its name still tells one folder from another.
    symlinkSync(path.join(dir, 'gone'), path.join(model, 'onnx', 'x.onnx'));
    const withX = await choiceKey(model, facts);
    renameSync(path.join(model, 'onnx', 'x.onnx'), path.join(model, 'onnx', 'y.onnx'));
    assert.notEqual(await choiceKey(model, facts), withX);
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

  it('writes a file of another shape over, carrying none of it', async () => {
    const file = path.join(dir, 'choices.json');
    const choice = { backend: 'wasm' as const, dtype: 'q8', dtypeReason: 'r', reason: 'auto: wasm', measured: {} };
    // A string spread into an object would give one entry per character ("0": "o", …).
    for (const choices of ['overwritten', 7, null]) {
      writeFileSync(file, JSON.stringify({ version: 1, choices }));
      await new BackendChoiceCache(file).set('k', choice);
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { version: 1, choices: { k: choice } }, String(choices));
    }
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
