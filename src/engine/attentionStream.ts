// One attention pass as its rows stream by in chunks (a pass over a KV cache, chunk by chunk, or
// one chunk holding everything), and the sinks that keep only what a request asked for: the
// selected values, heads reduced to their mean or max, pooled thumbnails, head statistics. Each
// sink holds its own output and nothing else, so a pass over 1,024 tokens of a 24-layer model never
// holds every layer's [heads, tokens, tokens] at once.
import { addHeadRows, emptyHeadSums, type HeadSums, labelHead, measuresOf, uniformBaseline } from './headStats';
import type { OrtTensor } from './onnx';
import { addRowToBins, binEdges, type PooledHeads } from './pool';
import { type QuantizedMatrices, quantizeRow } from './quantize';
import type { AttentionBlock, HeadStats } from './types';

export interface AttentionChunk {
  /** Query position of the chunk's first row: its rows are firstRow … firstRow + rows − 1. */
  readonly firstRow: number;
  readonly rows: number;
  /** Keys in this chunk's tensors: firstRow + rows for a causal pass over a cache, all for an encoder. */
  readonly keys: number;
  /** By model layer, the layers the pass fetched: [heads, rows, keys] */
  readonly layers: ReadonlyMap<number, Float32Array>;
}

export interface ChunkSink {
  add(chunk: AttentionChunk): void;
}

/** The whole pass's size: query positions 0 … rows − 1 over `keys` keys. */
export interface PassShape {
  readonly rows: number;
  readonly keys: number;
  readonly heads: number;
}

/** One chunk holding a pass that ran at once: per layer [1, heads, rows, keys] (float32). */
export function wholeChunk(attentions: ReadonlyMap<number, OrtTensor>): AttentionChunk {
  const first = attentions.values().next().value;
  if (!first) throw new Error('no attention tensors');
  const [, , rows, keys] = first.dims as [number, number, number, number];
  const layers = new Map([...attentions].map(([layer, tensor]) => [layer, tensor.data as Float32Array]));
  return { firstRow: 0, rows, keys, layers };
}

/** Index of each query position among `rows` (−1 when not selected). */
function rowIndex(totalRows: number, rows: readonly number[]): Int32Array {
  const index = new Int32Array(totalRows).fill(-1);
  rows.forEach((row, i) => (index[row] = i));
  return index;
}

/**
 * Visits each selected row of a chunk in each selected layer: `source` is that layer's chunk data
 * [heads, chunk rows, chunk keys], the row starts at source[from] and is chunk.keys long, and `at`
 * is its matrix row in the selection ([heads, rows]: head position × rows + row position).
 */
function eachSelectedRow(
  chunk: AttentionChunk,
  selection: { readonly layers: readonly number[]; readonly heads: readonly number[]; readonly rows: readonly number[]; readonly index: Int32Array },
  visit: (li: number, source: Float32Array, from: number, at: number) => void,
): void {
  selection.layers.forEach((layer, li) => {
    const source = layerOf(chunk, layer); // [heads, chunk rows, chunk keys]
    selection.heads.forEach((head, hi) => {
      for (let r = 0; r < chunk.rows; r++) {
        const ri = selection.index[chunk.firstRow + r]!;
        if (ri >= 0) visit(li, source, (head * chunk.rows + r) * chunk.keys, hi * selection.rows.length + ri);
      }
    });
  });
}

/** Whether `list` is 0 … n − 1 in order: everything, as it came. */
function identity(list: readonly number[], n: number): boolean {
  return list.length === n && list.every((v, i) => v === i);
}

function layerOf(chunk: AttentionChunk, layer: number): Float32Array {
  const data = chunk.layers.get(layer);
  if (!data) throw new Error(`the pass did not fetch layer ${layer}`);
  return data;
}

/** A sink of the selected layers × heads × rows: where each query position lands among the rows. */
abstract class SelectionSink implements ChunkSink {
  /** Per query position of the pass, its position among `rows` (−1: not selected). */
  readonly index: Int32Array;

  constructor(
    protected readonly shape: PassShape,
    readonly layers: readonly number[],
    readonly heads: readonly number[],
    readonly rows: readonly number[],
  ) {
    this.index = rowIndex(shape.rows, rows);
  }

  abstract add(chunk: AttentionChunk): void;
}

/**
 * The selected layers × heads × rows, keys past a chunk's own left at 0 (causal: they are 0). A
 * layer that arrives whole in one chunk with every head and row selected is kept as it came, not
 * copied (a pass hands out fresh arrays).
 */
export class BlockSink extends SelectionSink {
  /** each [heads, rows, keys], allocated on first use */
  private readonly layerData = this.layers.map((): Float32Array | undefined => undefined);
  private readonly everything = identity(this.heads, this.shape.heads) && identity(this.rows, this.shape.rows);

  add(chunk: AttentionChunk): void {
    const { keys } = this.shape;
    const whole = this.everything && chunk.firstRow === 0 && chunk.rows === this.shape.rows && chunk.keys === keys;
    if (whole) {
      this.layers.forEach((layer, li) => (this.layerData[li] = layerOf(chunk, layer)));
      return;
    }
    eachSelectedRow(chunk, this, (li, source, from, at) => {
      const out = (this.layerData[li] ??= new Float32Array(this.heads.length * this.rows.length * keys));
      out.set(source.subarray(from, from + chunk.keys), at * keys);
    });
  }

  block(): AttentionBlock {
    const size = this.heads.length * this.rows.length * this.shape.keys;
    const layerData = this.layerData.map((data) => data ?? new Float32Array(size));
    return { layers: [...this.layers], heads: [...this.heads], rows: [...this.rows], keys: this.shape.keys, layerData };
  }
}

/**
 * The selected layers × heads × rows at one byte per value (quantize.ts), each row quantized as
 * its chunk streams by: the pass never holds the selection in float32 (a layer of 8 heads over
 * 1,024 tokens is 8 MiB here instead of 32 MiB), and neither does whoever receives it.
 */
export class QuantizedBlockSink extends SelectionSink {
  /** per selected layer: data [heads, rows, keys], scales [heads, rows]; allocated on first use */
  private readonly out = this.layers.map((): { data: Uint8Array; scales: Float32Array } | undefined => undefined);

  private allocate(): { data: Uint8Array; scales: Float32Array } {
    const matrices = this.heads.length * this.rows.length;
    return { data: new Uint8Array(matrices * this.shape.keys), scales: new Float32Array(matrices) };
  }

  add(chunk: AttentionChunk): void {
    const { keys } = this.shape;
    eachSelectedRow(chunk, this, (li, source, from, at) => {
      const out = (this.out[li] ??= this.allocate());
      // keys past the chunk's own stay 0 (causal: they are 0)
      out.scales[at] = quantizeRow(source, from, chunk.keys, out.data, at * keys);
    });
  }

  /** Per selected layer, its selected heads: count = heads. */
  quantized(): QuantizedMatrices[] {
    return this.out.map((layer) => ({ count: this.heads.length, rows: this.rows.length, keys: this.shape.keys, ...(layer ?? this.allocate()) }));
  }
}

/** Per selected layer, the mean or max over the selected heads: [rows, keys]. */
export class HeadReductionSink implements ChunkSink {
  private readonly layerData: Float32Array[];
  private readonly index: Int32Array;

  constructor(
    private readonly shape: PassShape,
    private readonly layers: readonly number[],
    private readonly heads: readonly number[],
    rows: readonly number[],
    private readonly reduction: 'mean' | 'max',
  ) {
    this.layerData = layers.map(() => new Float32Array(rows.length * shape.keys)); // each [rows, keys]
    this.index = rowIndex(shape.rows, rows);
  }

  add(chunk: AttentionChunk): void {
    const { keys } = this.shape;
    const scale = 1 / this.heads.length;
    this.layers.forEach((layer, li) => {
      const source = layerOf(chunk, layer); // [heads, chunk rows, chunk keys]
      const out = this.layerData[li]!;
      for (let r = 0; r < chunk.rows; r++) {
        const ri = this.index[chunk.firstRow + r]!;
        if (ri < 0) continue;
        const to = ri * keys;
        for (const head of this.heads) {
          const from = (head * chunk.rows + r) * chunk.keys;
          if (this.reduction === 'mean') {
            for (let k = 0; k < chunk.keys; k++) out[to + k] += source[from + k]! * scale;
          } else {
            for (let k = 0; k < chunk.keys; k++) if (source[from + k]! > out[to + k]!) out[to + k] = source[from + k]!;
          }
        }
      }
    });
  }

  reduced(): Float32Array[] {
    return this.layerData;
  }
}

/**
 * Every selected head mean-pooled to at most size × size cells, in [layers, heads] order: the same
 * cells as poolBlock() over the selected block. With `causal`, row q is known to be 0 after key q
 * and those cells are not read.
 */
export class PoolSink implements ChunkSink {
  private readonly rowEdges: number[];
  private readonly keyEdges: number[];
  private readonly rowBin: Int32Array;
  private readonly sums: Float64Array; // [layers × heads, outRows, outKeys]

  constructor(
    shape: PassShape,
    private readonly layers: readonly number[],
    private readonly heads: readonly number[],
    rows: readonly number[],
    size: number,
    private readonly causal: boolean,
  ) {
    this.rowEdges = binEdges(rows.length, size);
    this.keyEdges = binEdges(shape.keys, size);
    const index = rowIndex(shape.rows, rows);
    // the bin of each query position (−1: not selected)
    this.rowBin = index.map((i) => (i < 0 ? -1 : this.binOf(i)));
    this.sums = new Float64Array(layers.length * heads.length * this.outRows * this.outKeys);
  }

  private get outRows(): number {
    return this.rowEdges.length - 1;
  }

  private get outKeys(): number {
    return this.keyEdges.length - 1;
  }

  private binOf(selectedRow: number): number {
    let bin = 0;
    while (this.rowEdges[bin + 1]! <= selectedRow) bin++;
    return bin;
  }

  add(chunk: AttentionChunk): void {
    const cellsPerHead = this.outRows * this.outKeys;
    this.layers.forEach((layer, li) => {
      const source = layerOf(chunk, layer); // [heads, chunk rows, chunk keys]
      this.heads.forEach((head, hi) => {
        const headSums = (li * this.heads.length + hi) * cellsPerHead;
        for (let r = 0; r < chunk.rows; r++) {
          const q = chunk.firstRow + r;
          const bin = this.rowBin[q]!;
          if (bin < 0) continue;
          const base = (head * chunk.rows + r) * chunk.keys;
          const rowEnd = base + (this.causal ? Math.min(chunk.keys, q + 1) : chunk.keys);
          addRowToBins(source, base, rowEnd, this.keyEdges, this.sums, headSums + bin * this.outKeys);
        }
      });
    });
  }

  pooled(): PooledHeads {
    const { outRows, outKeys } = this;
    const count = this.layers.length * this.heads.length;
    const data = new Float32Array(count * outRows * outKeys); // [count, outRows, outKeys]
    for (let m = 0; m < count; m++) {
      for (let rb = 0; rb < outRows; rb++) {
        const rowCount = this.rowEdges[rb + 1]! - this.rowEdges[rb]!;
        for (let kb = 0; kb < outKeys; kb++) {
          const i = (m * outRows + rb) * outKeys + kb;
          data[i] = this.sums[i]! / (rowCount * (this.keyEdges[kb + 1]! - this.keyEdges[kb]!));
        }
      }
    }
    return { count, rows: outRows, keys: outKeys, data };
  }
}

/** Head statistics of every layer × head over every row (computeHeadStats() over the whole pass). */
export class HeadStatsSink implements ChunkSink {
  private readonly sums: HeadSums[];

  constructor(
    private readonly shape: PassShape,
    private readonly layers: readonly number[],
    private readonly causal: boolean,
  ) {
    this.sums = Array.from({ length: layers.length * shape.heads }, emptyHeadSums);
  }

  add(chunk: AttentionChunk): void {
    const positions = Array.from({ length: chunk.rows }, (_, r) => chunk.firstRow + r);
    const cells = chunk.rows * chunk.keys;
    this.layers.forEach((layer, li) => {
      const source = layerOf(chunk, layer); // [heads, chunk rows, chunk keys]
      for (let head = 0; head < this.shape.heads; head++) {
        addHeadRows(this.sums[li * this.shape.heads + head]!, source, head * cells, positions, chunk.keys, this.causal);
      }
    });
  }

  stats(): HeadStats[] {
    const positions = Array.from({ length: this.shape.rows }, (_, r) => r);
    const baseline = uniformBaseline(positions, this.shape.keys, this.causal);
    return this.sums.map((sums, i) => {
      const measures = measuresOf(sums);
      return { layer: this.layers[Math.floor(i / this.shape.heads)]!, head: i % this.shape.heads, ...measures, label: labelHead(measures, baseline) };
    });
  }
}
