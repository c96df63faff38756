// A model data file that onnxruntime-web reads piece by piece, straight from disk.
//
// onnxruntime-web copies each externally stored tensor into its WebAssembly heap by asking the
// mounted data for `byteLength` and `subarray(offset, offset + length)`. A file handed over as
// one Uint8Array therefore sits in memory twice while the session is built (the JavaScript copy
// and the heap): 2 GB of fp32 weights need 4 GB. This view answers the same two questions by
// reading only the requested range, so the weights pass through memory once.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class LazyFileBytes extends Uint8Array {
  private readonly fd: number;
  private readonly size: number;

  constructor(readonly file: string) {
    super(0);
    this.fd = openSync(file, 'r');
    this.size = fstatSync(this.fd).size;
  }

  override get byteLength(): number {
    return this.size;
  }

  override get length(): number {
    return this.size;
  }

  /** Bytes [start, end) of the file, read now. */
  override subarray(start = 0, end = this.size): Uint8Array<ArrayBuffer> {
    const from = Math.max(0, Math.min(start, this.size));
    const to = Math.max(from, Math.min(end, this.size));
    const out = new Uint8Array(to - from);
    let done = 0;
    while (done < out.length) {
      const read = readSync(this.fd, out, done, out.length - done, from + done);
      if (read === 0) throw new Error(`${this.file} ended at byte ${from + done}, before ${to}`);
      done += read;
    }
    return out;
  }

  /** Closes the file; later reads fail. */
  close(): void {
    closeSync(this.fd);
  }
}
