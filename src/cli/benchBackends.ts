// `tealeaf bench --backends`: every engine backend this machine can start, timed on one model with
// the probe `auto` decides by (src/host/backendProbe.ts), named as tealeaf.engine.backend names them:
// the worker's (in this process) and the Tealeaf Engine panel's (the same page in headless
// Chromium, enginePage.ts). --json: {"backends":[{"name","available","decodeMsPerToken","prefillMs","reason"}]}.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { DtypeChoice } from '../engine/dtype';
import type { Engine } from '../engine/types';
import { probeEngine, type ProbeResult } from '../host/backendProbe';
import type { CpuBackend } from '../host/backendSelection';
import type { WebviewBackend } from '../host/hostBackend';
import { createInProcessHost } from '../host/inProcessHost';
import { within } from '../util/deadline';
import { errorText } from '../util/unknown';
import { type EnginePage, findChromium, openEnginePage } from './enginePage';

export interface BackendBench {
  readonly name: string;
  readonly available: boolean;
  /** Null where the backend could not start, or the model has no decode steps (translation). */
  readonly decodeMsPerToken: number | null;
  readonly prefillMs: number | null;
  /** Why it is unavailable; else what ran (runtime, file, threads) and whether it gave WASM's tokens. */
  readonly reason: string;
}

const SETTING_NAMES: Readonly<Record<CpuBackend, string>> = { wasm: 'wasm-worker', native: 'native-worker' };

/** A webview backend that has not answered its probe in this long is reported as unavailable. */
const WEBVIEW_PROBE_TIMEOUT_MS = 300_000;

export interface BenchBackendsOptions {
  /** dist/webview of the build; without it (or without its engine.js) the webview backends are not run. */
  readonly webviewDist?: string;
}

export async function benchBackends(modelDir: string, dtype: DtypeChoice, threads: number | undefined, options: BenchBackendsOptions = {}): Promise<BackendBench[]> {
  const results = await benchWorkerBackends(modelDir, dtype, threads);
  const wasm = results.find((r) => r.name === SETTING_NAMES.wasm);
  for (const backend of ['wasm-webview', 'webgpu-webview'] as const) results.push(await benchWebviewBackend(backend, modelDir, dtype, options.webviewDist, wasm?.tokens));
  return results.map(({ tokens: _tokens, ...result }) => result);
}

/** A result and the probe's tokens, which the other backends must reproduce. */
type Measured = BackendBench & { readonly tokens?: string };

function measured(name: string, engine: Engine, probe: ProbeResult, runtime: string, reference: string | undefined): Measured {
  const tokens = probe.tokens.join();
  const same = reference === undefined ? '' : tokens === reference ? '; same tokens as wasm-worker' : '; OTHER tokens than wasm-worker';
  return {
    name,
    available: true,
    decodeMsPerToken: probe.decodeMsPerToken === undefined ? null : round(probe.decodeMsPerToken),
    prefillMs: probe.prefillMs === undefined ? null : round(probe.prefillMs),
    reason: `${runtime}, ${engine.info.onnxFiles.join(' + ')} (${engine.info.dtype}), ${
      probe.prefillMs === undefined ? `translated a sentence of ${probe.promptTokens} tokens in ${Math.round(probe.ms)} ms` : `prompt of ${probe.promptTokens} tokens`
    }${same}`,
    tokens,
  };
}

function unavailable(name: string, reason: string): Measured {
  return { name, available: false, decodeMsPerToken: null, prefillMs: null, reason };
}

/** The page in headless Chromium, behind the transport the extension uses; never longer than WEBVIEW_PROBE_TIMEOUT_MS. */
async function benchWebviewBackend(backend: WebviewBackend, modelDir: string, dtype: DtypeChoice, webviewDist: string | undefined, reference: string | undefined): Promise<Measured> {
  if (!webviewDist || !existsSync(path.join(webviewDist, 'engine.js'))) return unavailable(backend, 'the engine page is not built here (npm run build writes dist/webview/engine.js)');
  const chromiumPath = findChromium();
  if (!chromiumPath) return unavailable(backend, 'no Chromium found to run the engine page in: set CHROMIUM_PATH');
  const opened: { page?: EnginePage; late: boolean } = { late: false };
  const run = async (): Promise<Measured> => {
    const page = await openEnginePage(backend, { webviewDist, chromiumPath });
    opened.page = page;
    // The deadline has answered already: nobody will close this page but us.
    if (opened.late) await page.close();
    const engine = await page.host.load(modelDir, { dtype });
    const probe = await probeEngine(engine);
    const runtime = engine.info.backend === 'webgpu' ? 'onnxruntime-web WebGPU' : 'onnxruntime-web WebAssembly, one thread';
    return measured(backend, engine, probe, `${runtime} in headless Chromium (${engine.info.backendReason ?? ''})`, reference);
  };
  try {
    return await within(run(), WEBVIEW_PROBE_TIMEOUT_MS, () => {
      throw new Error(`no answer within ${WEBVIEW_PROBE_TIMEOUT_MS / 1000} s`);
    });
  } catch (error) {
    const message = errorText(error);
    return unavailable(backend, /Cannot find (module|package) 'playwright-core'/.test(message) ? 'playwright-core is not installed (a development dependency of Tealeaf)' : message);
  } finally {
    opened.late = true;
    await opened.page?.close().catch(() => undefined);
  }
}

async function benchWorkerBackends(modelDir: string, dtype: DtypeChoice, threads: number | undefined): Promise<Measured[]> {
  const host = createInProcessHost(threads !== undefined ? { threads } : {});
  try {
    const results: Measured[] = [];
    let reference: { readonly probe: ProbeResult; readonly dtype: DtypeChoice } | undefined;
    for (const backend of ['wasm', 'native'] as const) {
      // Native runs the file WASM ran, so that their tokens can be compared.
      const engine = await host.load(modelDir, { backend, dtype: reference?.dtype ?? dtype, ...(threads !== undefined ? { threads } : {}) });
      try {
        if (engine.info.backend !== backend) {
          results.push(unavailable(SETTING_NAMES[backend], engine.info.backendReason ?? `${backend} is unavailable`));
          continue;
        }
        const probe = await probeEngine(engine);
        results.push(measured(SETTING_NAMES[backend], engine, probe, backend === 'native' ? 'onnxruntime-node' : 'onnxruntime-web', reference?.probe.tokens.join()));
        reference ??= { probe, dtype: engine.info.dtype };
      } finally {
        await engine.dispose();
      }
    }
    return results;
  } finally {
    await host.dispose();
  }
}

export function describeBackends(results: readonly BackendBench[]): string {
  return results
    .map((r) => {
      if (!r.available) return `${r.name.padEnd(14)} unavailable: ${r.reason}`;
      return r.prefillMs === null ? `${r.name.padEnd(14)} ${r.reason}` : `${r.name.padEnd(14)} prefill ${r.prefillMs} ms, decode ${r.decodeMsPerToken} ms/token (${r.reason})`;
    })
    .join('\n');
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
