// One generation in flight, the latest request wins, stale results are never returned.
// Pure: no vscode. Every promise returned by `run` settles (it never rejects).
import { isAbortError } from '../engine/errors';
import { anySignal, sleep } from './signals';

export type Outcome<T> =
  | { readonly kind: 'done'; readonly value: T }
  /** A newer request arrived before this one produced a result: its result (if any) is dropped. */
  | { readonly kind: 'superseded' }
  /** The caller's own signal aborted (VS Code cancelled the request). */
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'failed'; readonly error: unknown };

export interface RunOptions {
  /** The caller's cancellation (VS Code's CancellationToken turned into a signal). */
  readonly signal?: AbortSignal;
  /** Wait this long before starting; a newer request during the wait supersedes this one. */
  readonly debounceMs?: number;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<boolean>;

export class LatestWinsScheduler {
  /** Id of the newest request; a request whose id differs is stale. */
  private latest = 0;
  /** Aborts the newest request's debounce wait or task. */
  private latestController: AbortController | undefined;
  /** Settles when the task now running settles (undefined when none runs). */
  private running: Promise<void> | undefined;
  private runningCount = 0;

  constructor(private readonly wait: Sleep = sleep) {}

  /** Number of tasks running now: 0 or 1 (exposed for tests and the status bar). */
  get inFlight(): number {
    return this.runningCount;
  }

  /** Makes every pending or running request stale (e.g. a cache hit answered the newest keystroke). */
  supersedeAll(): void {
    this.latest += 1;
    this.latestController?.abort();
    this.latestController = undefined;
  }

  async run<T>(task: (signal: AbortSignal) => Promise<T>, options: RunOptions = {}): Promise<Outcome<T>> {
    this.supersedeAll();
    const id = this.latest;
    const controller = new AbortController();
    this.latestController = controller;
    const linked = anySignal([controller.signal, options.signal]);
    const signal = linked.signal;
    const stale = (): boolean => id !== this.latest;
    const verdict = (): Outcome<T> | undefined => {
      if (stale()) return { kind: 'superseded' };
      if (options.signal?.aborted) return { kind: 'cancelled' };
      return undefined;
    };
    try {
      if ((options.debounceMs ?? 0) > 0) await this.wait(options.debounceMs ?? 0, signal);
      // The previous task was aborted by supersedeAll() but may take a decode step to notice:
      // wait for it, so that two generations never run at once.
      while (this.running) {
        const early = verdict();
        if (early) return early;
        await this.running;
      }
      const early = verdict();
      if (early) return early;

      // From here to `this.running = …` is synchronous: no other request can start in between.
      const promise = start(task, signal);
      this.runningCount += 1;
      const settled = promise.then(
        () => undefined,
        () => undefined,
      );
      this.running = settled;
      let outcome: Outcome<T>;
      try {
        outcome = { kind: 'done', value: await promise };
      } catch (error) {
        outcome = isAbortError(error) || signal.aborted ? { kind: 'cancelled' } : { kind: 'failed', error };
      } finally {
        this.runningCount -= 1;
        if (this.running === settled) this.running = undefined;
      }
      // A result computed for an older context is never returned, even if the task ignored the abort.
      return verdict() ?? outcome;
    } finally {
      linked.dispose();
      if (this.latestController === controller && !stale()) this.latestController = undefined;
    }
  }
}

/** Calls the task, turning a synchronous throw into a rejected promise so `run` never throws. */
function start<T>(task: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return task(signal);
  } catch (error) {
    return Promise.reject(error);
  }
}
