// Download progress: bytes, rate over the last seconds, and time left, for the notification and the CLI line.

export interface ProgressSnapshot {
  readonly file: string;
  readonly doneBytes: number;
  readonly totalBytes: number;
  /** Over the last few seconds; 0 until there is a measurement. */
  readonly bytesPerSecond: number;
  /** Undefined until there is a rate. */
  readonly secondsLeft: number | undefined;
}

const WINDOW_MS = 5_000;

export class ProgressMeter {
  private done = 0;
  private readonly samples: { at: number; done: number }[] = [];

  constructor(
    private readonly totalBytes: number,
    private readonly now: () => number = Date.now,
  ) {
    this.samples.push({ at: now(), done: 0 });
  }

  add(bytes: number, file: string): ProgressSnapshot {
    this.done += bytes;
    const at = this.now();
    this.samples.push({ at, done: this.done });
    while (this.samples.length > 2 && at - (this.samples[0] as { at: number }).at > WINDOW_MS) this.samples.shift();
    const first = this.samples[0] as { at: number; done: number };
    const seconds = (at - first.at) / 1000;
    const bytesPerSecond = seconds > 0 ? (this.done - first.done) / seconds : 0;
    const left = Math.max(0, this.totalBytes - this.done);
    return { file, doneBytes: this.done, totalBytes: this.totalBytes, bytesPerSecond, secondsLeft: bytesPerSecond > 0 ? left / bytesPerSecond : undefined };
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** "12 MB of 630 MB, 8.1 MB/s, 1 min 16 s left" */
export function describeProgress(p: ProgressSnapshot): string {
  const rate = p.bytesPerSecond > 0 ? `, ${formatBytes(p.bytesPerSecond)}/s` : '';
  const left = p.secondsLeft !== undefined ? `, ${formatDuration(p.secondsLeft)} left` : '';
  return `${formatBytes(p.doneBytes)} of ${formatBytes(p.totalBytes)}${rate}${left}`;
}
