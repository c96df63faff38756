// One system's round, the same in a Node child (nodeChild.ts) and in a browser page: open the
// model, warm up once (the first run pays one-time costs: WebAssembly tier-up, allocator growth),
// then run every prompt of the job.
import type { DecodeJob, DecodePoint, DecodeRun, Prompt } from './types';

export interface OpenSystem {
  /** Greedy tokens after the prompt; a system stops at `newTokens` or at its end-of-text token. */
  run(prompt: Prompt, newTokens: number): Promise<DecodePoint>;
  dispose(): Promise<void>;
}

export async function runDecodeJob(system: DecodeRun['system'], job: DecodeJob, open: () => Promise<OpenSystem>): Promise<DecodeRun> {
  const loadStart = performance.now();
  const opened = await open();
  const loadMs = performance.now() - loadStart;
  try {
    const first = job.prompts[0];
    if (first) await opened.run(first, job.newTokens);
    const points: DecodePoint[] = [];
    for (const prompt of job.prompts) points.push(await opened.run(prompt, job.newTokens));
    return { system, loadMs, points };
  } finally {
    await opened.dispose();
  }
}
