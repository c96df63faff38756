// A model data file that onnxruntime-web reads piece by piece, straight from disk.
//
// onnxruntime-web copies each externally stored tensor into its WebAssembly heap by asking the
// mounted data for `byteLength` and `subarray(offset, offset + length)`. A file handed over as
// one Uint8Array therefore sits in memory twice while the session is built (the JavaScript copy
// and the heap): 2 GB of fp32 weights need 4 GB. This view answers the same two questions by
// reading only the requested range, so the weights pass through memory once.
//
// Each range is still a buffer of its own until onnxruntime has copied it. After a large one (an
// embedding: 545 MB on a 0.5B model) the next read first has V8 collect it, so that it is gone
// before the heap grows by the tensors that follow; left to V8, it may stay through the rest of
// the load. How much that saves depends on when V8 would have collected: for the 0.5B q4 file,
// 1,393 → 1,233 MB of peak RSS in one bare session, 1,389 → 1,380 MB in the engine's load.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { collectGarbage } from './collectGarbage';

export interface LazyFileOptions {
  /** A read of at least this many bytes is collected before the next read (and at close). */
  readonly collectAfterBytes?: number;
  readonly collect?: () => void;
}

const COLLECT_AFTER_BYTES = 64 * 1024 * 1024;

export class LazyFileBytes extends Uint8Array {
  private readonly fd: number;
  private readonly size: number;
  private readonly collectAfterBytes: number;
  private readonly collect: () => void;
  private largeReadOut = false;

  constructor(
    readonly file: string,
    options: LazyFileOptions = {},
  ) {
    super(0);
    this.fd = openSync(file, 'r');
    this.size = fstatSync(this.fd).size;
    this.collectAfterBytes = options.collectAfterBytes ?? COLLECT_AFTER_BYTES;
    this.collect = options.collect ?? collectGarbage;
  }

  /** The last read, if large, has been copied by now (onnxruntime copies each range at once). */
  private collectLargeRead(): void {
    if (!this.largeReadOut) return;
    this.largeReadOut = false;
    this.collect();
  }

  override get byteLength(): number {
    return this.size;
  }

  override get length(): number {
    return this.size;
  }

  /** Bytes [start, end) of the file, read now. */
  override subarray(start = 0, end = this.size): Uint8Array<ArrayBuffer> {
    this.collectLargeRead();
    const from = Math.max(0, Math.min(start, this.size));
    const to = Math.max(from, Math.min(end, this.size));
    const out = new Uint8Array(to - from);
    let done = 0;
    while (done < out.length) {
      const read = readSync(this.fd, out, done, out.length - done, from + done);
      if (read === 0) throw new Error(`${this.file} ended at byte ${from + done}, before ${to}`);
      done += read;
    }
    this.largeReadOut = out.length >= this.collectAfterBytes;
    return out;
  }

  /** Closes the file; later reads fail. */
  close(): void {
    closeSync(this.fd);
    this.collectLargeRead();
  }
}
