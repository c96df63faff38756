// Memory for the large arrays the extension host receives from an engine process (attention views,
// kept in the panel's cache for a while), mapped by V8 on its own and unmapped when the array is
// collected: never a block of glibc's malloc heap.
//
// Why: in a long-lived Node process, glibc's malloc raises its mmap threshold to the size of the
// largest mapped block it has freed (up to 32 MiB), and from then on serves every smaller block
// from its main heap, which gives memory back to the system only from its top. Views of 1 to
// 8 MiB that come and go leave that heap full of holes that no one uses and the system cannot
// have back. The extension host is VS Code's process, so Tealeaf cannot set glibc's thresholds
// there as it does for its engine processes; but a WebAssembly memory is mapped by V8 itself.
// Measured with `bench/memoryChild.ts` (the bench's host job; 10 inspections of 1,024 tokens, a
// layer and a head viewed after each): one minute after the panel closed, the host's malloc heap
// still held 17–28 MB more than before the inspections with the arrays in it, and 0 with them here.

/** The one WebAssembly API this needs (the project's type libraries declare none as a value). */
interface WasmMemoryApi {
  readonly Memory: new (descriptor: { readonly initial: number; readonly maximum: number }) => { readonly buffer: ArrayBuffer };
}
const wasm = (globalThis as unknown as { readonly WebAssembly: WasmMemoryApi }).WebAssembly;

/** WebAssembly memory grows in pages of 64 KiB. */
const WASM_PAGE_BYTES = 64 * 1024;

/**
 * A buffer of at least `byteLength` bytes (rounded up to 64 KiB), zeroed, outside malloc's heap
 * where V8 can map one; an ordinary ArrayBuffer where it cannot (more than a 32-bit WebAssembly
 * memory's 4 GiB, or a limit on the address space that WebAssembly memories reserve).
 */
export function bufferOutsideHeap(byteLength: number): ArrayBuffer {
  const pages = Math.ceil(byteLength / WASM_PAGE_BYTES);
  try {
    return new wasm.Memory({ initial: pages, maximum: pages }).buffer;
  } catch {
    return new ArrayBuffer(byteLength);
  }
}
