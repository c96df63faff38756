// Which runtime a model loads on: WebAssembly (onnxruntime-web, always there), native
// (onnxruntime-node, where its addon loads), or `auto`, which times a short probe on both, once per
// model and machine, and takes native only when it is faster and gives WASM's tokens. Every
// outcome carries its reason (the engine's info.backendReason); the things a user should hear
// about once (the addon would not load, what auto chose) go to `notice`.
import type { DtypeChoice } from '../engine/dtype';
import { ModelError, SessionError } from '../engine/errors';
import type { Backend, Engine } from '../engine/types';
import type { NoticeLevel } from '../protocol/engine';
import type { BackendChoice, BackendChoiceCache } from './backendChoiceCache';
import { type ProbeResult, probeEngine } from './backendProbe';
import { ReasonedEngine } from './reasonedEngine';
import { errorText } from '../util/unknown';

/** The backends an engine host in Node runs. */
export type CpuBackend = Extract<Backend, 'wasm' | 'native'>;
export type BackendPreference = CpuBackend | 'auto';

export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'wasm', 'native'];

export function isBackendPreference(value: unknown): value is BackendPreference {
  return typeof value === 'string' && (BACKEND_PREFERENCES as readonly string[]).includes(value);
}

/** Parses a user's backend (CLI flag) or says in one sentence what is allowed. */
export function parseBackendPreference(value: string): BackendPreference {
  if (isBackendPreference(value)) return value;
  throw new ModelError(`unknown backend "${value}": use one of ${BACKEND_PREFERENCES.join(', ')}`);
}

export type NativeAvailability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface BackendLoader {
  load(backend: CpuBackend, dtype: DtypeChoice): Promise<Engine>;
  native(): Promise<NativeAvailability>;
}

export interface SelectionContext {
  readonly loader: BackendLoader;
  readonly cache: BackendChoiceCache;
  /** This model's key on this machine; computed only when auto needs it. */
  readonly key: () => Promise<string>;
  readonly notice: (level: NoticeLevel, text: string) => void;
  /** Injected by tests; default probeEngine. */
  readonly probe?: (engine: Engine) => Promise<ProbeResult>;
}

export async function loadOnBackend(preference: BackendPreference, dtype: DtypeChoice, context: SelectionContext): Promise<Engine> {
  const { loader } = context;
  if (preference === 'wasm') return new ReasonedEngine(await loader.load('wasm', dtype), 'WebAssembly was asked for');
  if (preference === 'auto') return chooseByMeasurement(dtype, context);
  const native = await loader.native();
  if (!native.ok) return new ReasonedEngine(await loader.load('wasm', dtype), `native was asked for, but ${unavailable(native.reason, context)}; running on WebAssembly`);
  return loadNativeOrWasm(dtype, context);
}

/** Says (once: the notice is deduplicated) that the addon will not load; returns the reason. */
function unavailable(reason: string, context: SelectionContext): string {
  context.notice('warn', `native backend unavailable: ${reason}; models run on WebAssembly`);
  return reason;
}

/** Native as asked; a model native cannot open (an operator it lacks) runs on WebAssembly instead. */
async function loadNativeOrWasm(dtype: DtypeChoice, context: SelectionContext): Promise<Engine> {
  try {
    return new ReasonedEngine(await context.loader.load('native', dtype), 'native was asked for');
  } catch (error) {
    // Only onnxruntime's refusal: a folder that fails Tealeaf's own checks fails them on WASM too.
    if (!(error instanceof SessionError)) throw error;
    const engine = await context.loader.load('wasm', dtype);
    const why = `native could not open this model (${errorText(error)})`;
    context.notice('warn', `${engine.info.name}: ${why}; it runs on WebAssembly`);
    return new ReasonedEngine(engine, `native was asked for, but ${why}; running on WebAssembly`);
  }
}

/**
 * auto. WASM loads first, before the addon is even asked for: its tokens are the reference, and a
 * folder Tealeaf refuses is refused as fast as on WASM alone. Then native, which stays loaded when
 * it wins (the usual outcome): one model in memory at a time, none loaded a third time.
 */
async function chooseByMeasurement(dtype: DtypeChoice, context: SelectionContext): Promise<Engine> {
  const { loader, cache } = context;
  const key = await context.key();
  const known = await cache.get(key);
  if (known?.backend === 'native') {
    const native = await loader.native();
    if (!native.ok) return new ReasonedEngine(await loader.load('wasm', dtype), `auto: native is unavailable (${unavailable(native.reason, context)}); running on WebAssembly`);
    // Native ran the file WASM chose when it was measured: that one again.
    const engine = await loader.load('native', known.dtype as DtypeChoice);
    return new ReasonedEngine(engine, `${known.reason} (measured earlier on this machine)`, dtype === 'auto' ? known.dtypeReason : undefined);
  }
  if (known) return new ReasonedEngine(await loader.load('wasm', dtype), `${known.reason} (measured earlier on this machine)`);

  let wasm: Engine;
  try {
    wasm = await loader.load('wasm', dtype);
  } catch (error) {
    // Over WebAssembly's 4 GiB heap, or an operator it lacks: native may still open it.
    if (!(error instanceof SessionError) || !(await loader.native()).ok) throw error;
    const native = await loader.load('native', dtype).catch(() => Promise.reject(error));
    return new ReasonedEngine(native, `auto: native (WebAssembly could not open this model: ${errorText(error)})`);
  }
  const availability = await loader.native();
  if (!availability.ok) return new ReasonedEngine(wasm, `auto: native is unavailable (${unavailable(availability.reason, context)}); running on WebAssembly`);
  const probe = context.probe ?? probeEngine;
  let reference: ProbeResult;
  try {
    reference = await probe(wasm);
  } catch (error) {
    return new ReasonedEngine(wasm, `auto: WebAssembly (the probe failed: ${errorText(error)})`);
  }
  const sameFile = wasm.info.dtype;
  const dtypeReason = wasm.info.dtypeReason;
  await wasm.dispose();
  let native: Engine | undefined;
  let candidate: ProbeResult | undefined;
  let failure: string | undefined;
  try {
    native = await loader.load('native', sameFile);
    candidate = await probe(native);
  } catch (error) {
    failure = errorText(error);
  }
  const choice = decide(reference, candidate, failure, sameFile, dtypeReason);
  // An explicit dtype keeps its own reason; `auto` was WASM's choice of file.
  const fileReason = dtype === 'auto' ? dtypeReason : undefined;
  if (choice.backend === 'native' && native) {
    await cache.set(key, choice);
    context.notice('info', `${native.info.name}: ${choice.reason}`);
    return new ReasonedEngine(native, choice.reason, fileReason);
  }
  await native?.dispose();
  // A failure of native on this model is not remembered: a later version of the addon may fix it.
  if (failure === undefined) await cache.set(key, choice);
  const engine = await loader.load('wasm', dtype);
  context.notice('info', `${engine.info.name}: ${choice.reason}`);
  return new ReasonedEngine(engine, choice.reason);
}

/** Native only when it gave the reference tokens and was faster. */
export function decide(wasm: ProbeResult, native: ProbeResult | undefined, failure: string | undefined, dtype: string, dtypeReason: string): BackendChoice {
  const measured = { wasm: measurement(wasm), ...(native ? { native: measurement(native) } : {}) };
  const file = { dtype, dtypeReason };
  if (!native) return { backend: 'wasm', ...file, measured, reason: `auto: WebAssembly (native failed on this model: ${failure ?? 'no result'})` };
  const times = `${round(native.ms)} ms native against ${round(wasm.ms)} ms WebAssembly${stepsText(native, wasm)}`;
  const compared = wasm.compared ?? 'tokens';
  if (!sameTokens(native.tokens, wasm.tokens)) {
    return { backend: 'wasm', ...file, measured, reason: `auto: WebAssembly (native gave other ${compared} on the probe; ${times})` };
  }
  if (native.ms < wasm.ms) {
    return { backend: 'native', ...file, measured, reason: `auto: native, ${(wasm.ms / native.ms).toFixed(1)}× faster on the probe (${times}), same ${compared}` };
  }
  return { backend: 'wasm', ...file, measured, reason: `auto: WebAssembly, faster on the probe (${times})` };
}

function measurement(result: ProbeResult): BackendChoice['measured']['wasm'] {
  return { ms: result.ms, ...(result.prefillMs !== undefined ? { prefillMs: result.prefillMs } : {}), ...(result.decodeMsPerToken !== undefined ? { decodeMsPerToken: result.decodeMsPerToken } : {}) };
}

function stepsText(native: ProbeResult, wasm: ProbeResult): string {
  if (native.prefillMs === undefined || wasm.prefillMs === undefined || native.decodeMsPerToken === undefined || wasm.decodeMsPerToken === undefined) return '';
  return `: prefill ${round(native.prefillMs)} vs ${round(wasm.prefillMs)} ms, decode ${round(native.decodeMsPerToken, 2)} vs ${round(wasm.decodeMsPerToken, 2)} ms/token`;
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function round(ms: number, digits = 0): string {
  return ms.toFixed(digits);
}
