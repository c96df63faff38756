// What each benchmark page offers the driver (browser.ts) once its script has loaded.
import type { DecodeJob, DecodeRun } from '../types';

export interface BenchPage {
  /** Opens the model, warms up once, then runs every prompt of the job (runDecodeJob). */
  decode(job: DecodeJob): Promise<DecodeRun>;
}

declare global {
  interface Window {
    bench?: BenchPage;
  }
}
