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
