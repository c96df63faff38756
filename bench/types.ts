// Shape of bench/results/latest.json, shared by every feature's benchmark.

export interface BenchRow {
  readonly system: string;
  readonly model: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

export interface BenchSection {
  readonly results: readonly BenchRow[];
  readonly ratios?: Readonly<Record<string, number>>;
  readonly metrics?: Readonly<Record<string, number>>;
}

export interface BenchReport {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly onnxruntime: string };
  readonly results: BenchRow[];
  readonly ratios: Record<string, number>;
  readonly metrics: Record<string, number>;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * A run of named sections updated into an earlier report: its rows replace the rows of the same
 * system, model and metric, its ratios and metrics the same keys; the rest of the earlier report
 * stays, and the machine is the newer run's.
 */
export function mergeReports(earlier: BenchReport, newer: BenchReport): BenchReport {
  const key = (r: BenchRow) => `${r.system}\u0000${r.model}\u0000${r.metric}`;
  const replaced = new Set(newer.results.map(key));
  return {
    machine: newer.machine,
    results: [...earlier.results.filter((r) => !replaced.has(key(r))), ...newer.results],
    ratios: { ...earlier.ratios, ...newer.ratios },
    metrics: { ...earlier.metrics, ...newer.metrics },
  };
}
