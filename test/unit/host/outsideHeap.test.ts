// The extension host's large received arrays live in memory V8 maps itself (a WebAssembly memory),
// not in the ArrayBuffers that Node takes from malloc: Node's own count of those does not grow.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BulkReceiver, bulkMessages } from '../../../src/host/bulkPieces';
import { bufferOutsideHeap } from '../../../src/host/outsideHeap';

const MiB = 1024 * 1024;

/** How much Node's malloc-backed ArrayBuffers grow while `make` runs and its result is held. */
function arrayBufferGrowth<T>(make: () => T): { grown: number; made: T } {
  const before = process.memoryUsage().arrayBuffers;
  const made = make();
  return { grown: process.memoryUsage().arrayBuffers - before, made };
}

describe('buffers outside the heap', () => {
  it('are zeroed, at least as long as asked (whole 64 KiB pages), and not malloc-backed ArrayBuffers', () => {
    const { grown, made } = arrayBufferGrowth(() => bufferOutsideHeap(8 * MiB + 1));
    assert.equal(made.byteLength, 8 * MiB + 64 * 1024);
    assert.ok(new Uint8Array(made).every((b) => b === 0));
    assert.ok(grown < MiB, `Node's ArrayBuffers grew by ${grown} bytes`);
    // The same through an ordinary ArrayBuffer, to show the measure sees one.
    assert.ok(arrayBufferGrowth(() => new ArrayBuffer(8 * MiB)).grown >= 8 * MiB);
  });

  it('are empty for no bytes', () => {
    assert.equal(bufferOutsideHeap(0).byteLength, 0);
  });

  it('are ordinary ArrayBuffers, exactly as long as asked, past a WebAssembly memory’s 4 GiB', () => {
    // Mapped, not touched: the pages cost nothing until written. Not rounded to whole pages, so
    // not a WebAssembly memory.
    assert.equal(bufferOutsideHeap(4 * 1024 * MiB + 1).byteLength, 4 * 1024 * MiB + 1);
  });

  it('hold what the engine process sent in pieces', () => {
    const data = Uint8Array.from({ length: 8 * MiB }, (_, i) => (i * 7) % 256);
    const receiver = new BulkReceiver();
    let received: unknown;
    const { grown } = arrayBufferGrowth(() => {
      for (const m of bulkMessages({ data })) received = receiver.accept(m)?.message ?? received;
    });
    assert.deepEqual((received as { data: Uint8Array }).data, data);
    assert.ok(grown < MiB, `Node's ArrayBuffers grew by ${grown} bytes`);
  });

  it('come from the allocator a receiver is given', () => {
    const given: ArrayBuffer[] = [];
    const receiver = new BulkReceiver((n) => {
      given.push(new ArrayBuffer(n + 8));
      return given.at(-1)!;
    });
    const scales = Float32Array.from({ length: 40_000 }, (_, i) => i / 3);
    const [head, ...pieces] = bulkMessages({ scales });
    receiver.accept(head);
    const whole = pieces.map((p) => receiver.accept(p)).at(-1);
    const out = (whole?.message as { scales: Float32Array }).scales;
    assert.deepEqual(out, scales);
    assert.equal(out.buffer, given[0]);
  });
});
