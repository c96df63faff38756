// When to stop restarting a crashing engine worker: a worker that dies again and again (a model
// that exhausts memory on load, a corrupt file that aborts onnxruntime) would otherwise restart
// forever and take the extension host's CPU with it. Pure: the clock is passed in.

export interface CrashVerdict {
  /** Crashes inside the window, this one included. */
  readonly crashesInWindow: number;
  /** True when the limit is reached: do not restart until the user asks again. */
  readonly giveUp: boolean;
}

export class CrashWindow {
  private crashes: number[] = [];

  constructor(
    /** Crashes within `windowMs` that stop the restarts. */
    readonly limit = 3,
    readonly windowMs = 60_000,
  ) {}

  /** Records a crash at `now` (ms) and says whether to give up. */
  record(now: number): CrashVerdict {
    this.crashes = [...this.crashes.filter((at) => now - at < this.windowMs), now];
    return { crashesInWindow: this.crashes.length, giveUp: this.crashes.length >= this.limit };
  }

  /** Forgets earlier crashes: the user asked to try again. */
  clear(): void {
    this.crashes = [];
  }
}
