// What the WebGPU engine page (engineWebgpuPage.ts) answers the test with: plain data, so that it
// crosses page.evaluate as JSON.
import type { DtypeChoice } from '../../src/engine/dtype';
import type { Backend, GenerateRequest } from '../../src/engine/types';

/** GPUBuffers created and destroyed since the page started (the init script wraps WebGPU). */
export interface BufferCounts {
  readonly created: number;
  readonly destroyed: number;
}

export interface CompareResult {
  readonly file: string;
  readonly wasmTokens: readonly number[];
  readonly gpuTokens: readonly number[];
  /** Over the prefill's last row and every decode step's row. */
  readonly maxLogitDiff: number;
  readonly steps: number;
  /** Decode steps whose present.* all came back as GPU buffers. */
  readonly stepsOnGpu: number;
  readonly wasmMs: number;
  readonly gpuMs: number;
}

export type Fp16Outcome =
  | { readonly kind: 'compared'; readonly file: string; readonly maxLogitDiff: number; readonly sameTokens: boolean }
  | { readonly kind: 'refused'; readonly gpuFeatureError: boolean; readonly message: string };

export interface DeviceLossResult {
  readonly reference: readonly number[];
  readonly afterMid: { readonly tokens: readonly number[]; readonly streamed: readonly number[]; readonly devices: number };
  readonly between: { readonly tokens: readonly number[]; readonly devices: number };
  readonly twiceName: string;
  readonly twice: string;
  readonly afterTwice: readonly number[];
  readonly devices: number;
  /** The same double loss under WasmFallbackEngine. */
  readonly fallback: { readonly tokens: readonly number[]; readonly backend: string; readonly reason: string };
}

export interface OtherPaths {
  /** tiny-marian's greedy translation tokens. */
  readonly translation: readonly number[];
  /** tiny-llama's inspector attention, per layer [heads, rows, keys] flattened. */
  readonly attention: readonly (readonly number[])[];
}

export interface LeakResult {
  /** Live GPU buffers (created − destroyed) after generation n. */
  readonly samples: Readonly<Record<number, number>>;
  readonly msPerGeneration: number;
  readonly liveAfterLoad: number;
  readonly liveAfterDispose: number;
}

export interface WebgpuTestPage {
  adapter(): Promise<{ name: string; features: string[] }>;
  compare(model: string, dtype: DtypeChoice, promptIds: readonly number[], steps: number): Promise<CompareResult>;
  fp16(model: string, promptIds: readonly number[], steps: number): Promise<Fp16Outcome>;
  autoDtype(model: string): Promise<{ dtype: string; reason: string }>;
  engineTokens(model: string, backend: Backend, requests: readonly GenerateRequest[]): Promise<{ tokens: number[]; reused: number }[]>;
  otherPaths(backend: Backend): Promise<OtherPaths>;
  deviceLoss(model: string, request: GenerateRequest): Promise<DeviceLossResult>;
  leak(model: string, generations: number, sampleAt: readonly number[]): Promise<LeakResult>;
}
