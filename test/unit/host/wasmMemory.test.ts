// How the engine finds its WebAssembly memories in /proc/self/smaps (src/host/wasmMemory.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wasmMemoryResidentBytes } from '../../../src/host/wasmMemory';

/** One mapping of /proc/self/smaps: its header and the two fields the parser reads. */
function mapping(start: bigint, sizeKb: number, perms: string, rssKb: number): string {
  const end = start + BigInt(sizeKb) * 1024n;
  return `${start.toString(16)}-${end.toString(16)} ${perms} 00000000 00:00 0 \nSize:           ${sizeKb} kB\nKernelPageSize:        4 kB\nRss:            ${rssKb} kB\nPss:            ${rssKb} kB\n`;
}

const GIB_KB = 1024 * 1024;

test('wasmMemoryResidentBytes: the resident pages of each read-write mapping followed by its ≥ 8 GiB reservation', () => {
  let at = 0x7f0000000000n;
  const next = (sizeKb: number, perms: string, rssKb: number): string => {
    const text = mapping(at, sizeKb, perms, rssKb);
    at += BigInt(sizeKb) * 1024n;
    return text;
  };
  const smaps = [
    next(2 * GIB_KB, '---p', 0), // a reservation on its own (V8's cage): no memory
    next(101 * 1024, 'rw-p', 87 * 1024), // onnxruntime's heap: 101 MiB mapped, 87 MiB resident…
    next(8 * GIB_KB - 101 * 1024, '---p', 0), // …and the rest of its 8 GiB
    next(64, 'rw-p', 64), // Node's own small WebAssembly memory, in a 10 GiB reservation
    next(10 * GIB_KB - 64, '---p', 0),
    next(300 * 1024, 'rw-p', 200 * 1024), // the JavaScript heap: no reservation after it
    next(1024, '---p', 0),
  ].join('');
  assert.equal(wasmMemoryResidentBytes(smaps), (87 * 1024 + 64) * 1024);
});

test('wasmMemoryResidentBytes: a read-write mapping with a gap before its reservation is no memory', () => {
  const pages = mapping(0x7f0000000000n, 1024, 'rw-p', 1024);
  const apart = mapping(0x7f0000000000n + 2n * 1024n * 1024n, 8 * GIB_KB, '---p', 0);
  assert.equal(wasmMemoryResidentBytes(pages + apart), 0);
});

test('wasmMemoryResidentBytes: only read-write pages followed by an inaccessible reservation count', () => {
  const pair = (pagesPerms: string, guardPerms: string) => mapping(0x7f0000000000n, 1024, pagesPerms, 1024) + mapping(0x7f0000000000n + 1024n * 1024n, 8 * GIB_KB, guardPerms, 0);
  assert.equal(wasmMemoryResidentBytes(pair('rw-p', '---p')), 1024 * 1024);
  assert.equal(wasmMemoryResidentBytes(pair('r--p', '---p')), 0, 'read-only pages (a mapped file)');
  assert.equal(wasmMemoryResidentBytes(pair('rw-p', 'r--p')), 0, 'a readable mapping after them');
});

test('wasmMemoryResidentBytes: the memories of this process, shared (the threaded build) or not', { skip: process.platform !== 'linux' && 'reads /proc/self/smaps' }, async () => {
  const { readFileSync } = await import('node:fs');
  // The engine's tsconfig has no DOM library, where WebAssembly's value is typed.
  const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBufferLike } } }).WebAssembly;
  const before = wasmMemoryResidentBytes(readFileSync('/proc/self/smaps', 'utf8'));
  const shared = new Memory({ initial: 320, maximum: 65536, shared: true }); // 20 MiB
  const plain = new Memory({ initial: 160 }); // 10 MiB
  new Uint8Array(shared.buffer).fill(1);
  new Uint8Array(plain.buffer).fill(1);
  const grown = wasmMemoryResidentBytes(readFileSync('/proc/self/smaps', 'utf8')) - before;
  assert.ok(Math.abs(grown - 30 * 1024 * 1024) < 1024 * 1024, `${grown} bytes`);
});
