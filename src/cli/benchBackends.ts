// `tealeaf bench --backends`: every engine backend this machine can start, timed on one model with
// the probe `auto` decides by (src/host/backendProbe.ts), named as tealeaf.engine.backend names them.
// --json: {"backends":[{"name","available","decodeMsPerToken","prefillMs","reason"}]}.
import type { DtypeChoice } from '../engine/dtype';
import { probeEngine, type ProbeResult } from '../host/backendProbe';
import type { CpuBackend } from '../host/backendSelection';
import { createInProcessHost } from '../host/inProcessHost';

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

export async function benchBackends(modelDir: string, dtype: DtypeChoice, threads: number | undefined): Promise<BackendBench[]> {
  const host = createInProcessHost(threads !== undefined ? { threads } : {});
  try {
    const results: BackendBench[] = [];
    let reference: { readonly probe: ProbeResult; readonly dtype: DtypeChoice } | undefined;
    for (const backend of ['wasm', 'native'] as const) {
      // Native runs the file WASM ran, so that their tokens can be compared.
      const engine = await host.load(modelDir, { backend, dtype: reference?.dtype ?? dtype, ...(threads !== undefined ? { threads } : {}) });
      try {
        if (engine.info.backend !== backend) {
          results.push({ name: SETTING_NAMES[backend], available: false, decodeMsPerToken: null, prefillMs: null, reason: engine.info.backendReason ?? `${backend} is unavailable` });
          continue;
        }
        const probe = await probeEngine(engine);
        const tokens = reference === undefined ? '' : probe.tokens.join() === reference.probe.tokens.join() ? '; same tokens as wasm-worker' : '; OTHER tokens than wasm-worker';
        reference ??= { probe, dtype: engine.info.dtype };
        results.push({
          name: SETTING_NAMES[backend],
          available: true,
          decodeMsPerToken: probe.decodeMsPerToken === undefined ? null : round(probe.decodeMsPerToken),
          prefillMs: probe.prefillMs === undefined ? null : round(probe.prefillMs),
          reason: `${backend === 'native' ? 'onnxruntime-node' : 'onnxruntime-web'}, ${engine.info.onnxFiles.join(' + ')} (${engine.info.dtype}), ${
            probe.prefillMs === undefined ? `translated a sentence of ${probe.promptTokens} tokens in ${Math.round(probe.ms)} ms` : `prompt of ${probe.promptTokens} tokens`
          }${tokens}`,
        });
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
