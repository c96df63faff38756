// What every system of the side-by-side benchmark is given and gives back, in Node and in the
// browser alike (no Node imports here: the browser pages are bundled with this file).

/** The systems compared, as named in bench/results/latest.json. */
export type NodeSystem = 'tealeaf-wasm' | 'tealeaf-native' | 'transformersjs-node' | 'ort-web-bare' | 'ort-node-bare';
export type BrowserSystem = 'tealeaf-web' | 'transformersjs-web' | 'ort-web-bare-web';
export type SystemName = NodeSystem | BrowserSystem;

/** One model at one dtype; `dir` is a path (Node) or a URL prefix ending in '/' (browser). */
export interface ModelRef {
  readonly dir: string;
  /** The file in onnx/ every system opens, e.g. model.onnx or model_q4.onnx. */
  readonly file: string;
  readonly dtype: 'fp32' | 'fp16' | 'q8' | 'q4';
}

/** Greedy decoding of `newTokens` tokens after each prompt, after one warm-up run. */
export interface DecodeJob {
  readonly model: ModelRef;
  /** One prompt per context length measured. */
  readonly prompts: readonly Prompt[];
  readonly newTokens: number;
  readonly threads: number;
  /** Runs of each prompt in a round; its point is the fastest (load on a shared machine only ever adds time). */
  readonly repeats: number;
}

/** Text cut at a token boundary, and its ids under the model's own tokenizer (no special tokens added). */
export interface Prompt {
  readonly text: string;
  readonly ids: readonly number[];
}

export interface DecodePoint {
  readonly contextTokens: number;
  /** From the call to the first generated token. */
  readonly prefillMs: number;
  /** Mean time between the following tokens. */
  readonly decodeMsPerToken: number;
  readonly tokens: readonly number[];
}

export interface DecodeRun {
  readonly system: SystemName;
  readonly loadMs: number;
  /** Runs of the longest prompt before the measured ones (decodeJob.ts: until decode settles). */
  readonly warmUpRuns: number;
  readonly points: readonly DecodePoint[];
  /** Peak resident memory of the process that ran it, where it can be read (Node). */
  readonly peakRssMb?: number;
  /** Where the measured runs' time went, when profiled (Node; bench/sideBySide/cpuProfile.ts). */
  readonly profile?: {
    readonly ms: Readonly<Record<string, number>>;
    readonly totalMs: number;
    readonly topJs: readonly (readonly [string, number])[];
  };
}

/** Prefill and decode figures from the times each generated token arrived. */
export function pointFromStamps(contextTokens: number, started: number, stamps: readonly number[], tokens: readonly number[]): DecodePoint {
  if (stamps.length === 0) throw new Error('no token was generated');
  const first = stamps[0] as number;
  const last = stamps[stamps.length - 1] as number;
  return {
    contextTokens,
    prefillMs: first - started,
    decodeMsPerToken: stamps.length > 1 ? (last - first) / (stamps.length - 1) : Number.NaN,
    tokens,
  };
}
