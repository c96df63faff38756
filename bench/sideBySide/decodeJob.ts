// One system's round, the same in a Node child (nodeChild.ts) and in a browser page: open the
// model, warm up, then run every prompt of the job. The first runs pay one-time costs: allocator
// growth, and WebAssembly tier-up, which V8 does in the background per hot function: in headless
// Chromium on a loaded 2-core machine, decode on the default code model went 80 → 60 → 30 → 12
// ms/token over its first twelve runs, in Node from 9 to 7 after one.
import type { DecodeJob, DecodePoint, DecodeRun, Prompt } from './types';

export interface OpenSystem {
  /** Greedy tokens after the prompt; a system stops at `newTokens` or at its end-of-text token. */
  run(prompt: Prompt, newTokens: number): Promise<DecodePoint>;
  dispose(): Promise<void>;
}

/** `measuring` brackets the measured runs (after the warm-up): a profiler starts and stops there. */
export async function runDecodeJob(
  system: DecodeRun['system'],
  job: DecodeJob,
  open: () => Promise<OpenSystem>,
  measuring?: { start(): Promise<void>; stop(): Promise<void> },
): Promise<DecodeRun> {
  const loadStart = performance.now();
  const opened = await open();
  const loadMs = performance.now() - loadStart;
  try {
    const longest = job.prompts.reduce<Prompt | undefined>((a, b) => (a && a.ids.length >= b.ids.length ? a : b), undefined);
    const warmUpRuns = longest ? await warmUp(() => opened.run(longest, job.newTokens)) : 0;
    const points: DecodePoint[] = [];
    await measuring?.start();
    for (const prompt of job.prompts) {
      const runs: DecodePoint[] = [];
      for (let k = 0; k < Math.max(1, job.repeats); k++) runs.push(await opened.run(prompt, job.newTokens));
      points.push(fastest(runs));
    }
    await measuring?.stop();
    return { system, loadMs, warmUpRuns, points };
  } finally {
    await opened.dispose();
  }
}

/**
 * Warm-up runs: until a run's decode is no faster than 0.9 × the one before (at least 2 runs), at
 * most 12 runs or 30 s. A model whose run takes seconds is kernel-bound and tiered up within its
 * first run: the time bound keeps the 0.5B q4 model (1.4 s a token on WASM) at a run or two.
 */
export const WARM_UP = { min: 2, max: 12, settled: 0.9, maxMs: 30_000 } as const;

async function warmUp(run: () => Promise<DecodePoint>): Promise<number> {
  const started = performance.now();
  let previous = Number.POSITIVE_INFINITY;
  for (let runs = 1; ; runs++) {
    const ms = (await run()).decodeMsPerToken;
    const settled = runs >= WARM_UP.min && ms >= WARM_UP.settled * previous;
    if (settled || runs >= WARM_UP.max || performance.now() - started > WARM_UP.maxMs) return runs;
    previous = ms;
  }
}

/** The fastest prefill and the fastest decode of the runs of one prompt (the tokens are the first run's). */
export function fastest(runs: readonly DecodePoint[]): DecodePoint {
  const first = runs[0];
  if (!first) throw new Error('no run');
  const min = (of: (p: DecodePoint) => number) => Math.min(...runs.map(of).filter((v) => !Number.isNaN(v)));
  return { ...first, prefillMs: min((p) => p.prefillMs), decodeMsPerToken: runs.some((p) => !Number.isNaN(p.decodeMsPerToken)) ? min((p) => p.decodeMsPerToken) : Number.NaN };
}
