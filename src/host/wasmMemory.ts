// How much of a process's memory is WebAssembly memory (onnxruntime-web's heaps), as the engine
// reports it (the `memory` request). V8 counts a memory in process.memoryUsage().external only
// when it is not shared, and counts its whole size, not what is resident; on Linux the resident
// pages of every memory, shared or not, are read from /proc/self/smaps instead.
import { readFileSync } from 'node:fs';

/** V8 reserves at least this much address space for each WebAssembly memory (the rest is guard). */
const WASM_RESERVATION_KB = 8 * 1024 * 1024;

interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string;
  readonly sizeKb: number;
  readonly rssKb: number;
}

function mappings(smaps: string): Mapping[] {
  const out: Mapping[] = [];
  let current: { start: bigint; end: bigint; perms: string; sizeKb: number; rssKb: number } | undefined;
  for (const line of smaps.split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) /.exec(line);
    if (header) {
      current = { start: BigInt(`0x${header[1]}`), end: BigInt(`0x${header[2]}`), perms: header[3]!, sizeKb: 0, rssKb: 0 };
      out.push(current);
      continue;
    }
    const field = /^(Size|Rss):\s+(\d+) kB$/.exec(line);
    if (field && current) current[field[1] === 'Size' ? 'sizeKb' : 'rssKb'] = Number(field[2]);
  }
  return out;
}

/**
 * Resident bytes of the process's WebAssembly memories, from the text of /proc/self/smaps. V8 maps a
 * memory as its accessible pages (read-write) directly followed by the rest of its reservation
 * (no access), the two together at least 8 GiB; no other mapping of a Node process looks so.
 */
export function wasmMemoryResidentBytes(smaps: string): number {
  const list = mappings(smaps);
  let rssKb = 0;
  for (let i = 0; i + 1 < list.length; i++) {
    const pages = list[i]!;
    const guard = list[i + 1]!;
    const contiguous = pages.end === guard.start;
    if (contiguous && pages.perms.startsWith('rw') && guard.perms.startsWith('---') && pages.sizeKb + guard.sizeKb >= WASM_RESERVATION_KB) rssKb += pages.rssKb;
  }
  return rssKb * 1024;
}

/**
 * Resident bytes of this process's WebAssembly memories: from /proc/self/smaps on Linux; elsewhere
 * V8's external memory less ArrayBuffers, which leaves out shared memories.
 */
export function processWasmBytes(usage: NodeJS.MemoryUsage): number {
  if (process.platform === 'linux') {
    try {
      return wasmMemoryResidentBytes(readFileSync('/proc/self/smaps', 'utf8'));
    } catch {
      // /proc not mounted: as elsewhere
    }
  }
  return Math.max(0, usage.external - usage.arrayBuffers);
}
