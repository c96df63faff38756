// The pure parts of bench/hardening.ts (the storm and the soak themselves run in `npm run bench`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { growthPct, keystrokeWalk, wasmMemoryRssMb } from '../../bench/hardening';

/** One mapping of /proc/self/smaps: its header and the two fields the parser reads. */
function mapping(start: bigint, sizeKb: number, perms: string, rssKb: number): string {
  const end = start + BigInt(sizeKb) * 1024n;
  return `${start.toString(16)}-${end.toString(16)} ${perms} 00000000 00:00 0 \nSize:           ${sizeKb} kB\nKernelPageSize:        4 kB\nRss:            ${rssKb} kB\nPss:            ${rssKb} kB\n`;
}

const GIB_KB = 1024 * 1024;

test('wasmMemoryRssMb: the resident pages of each read-write mapping followed by its ≥ 8 GiB reservation', () => {
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
  assert.equal(wasmMemoryRssMb(smaps), 87 + 64 / 1024);
});

test('wasmMemoryRssMb: a read-write mapping with a gap before its reservation is no memory', () => {
  const pages = mapping(0x7f0000000000n, 1024, 'rw-p', 1024);
  const apart = mapping(0x7f0000000000n + 2n * 1024n * 1024n, 8 * GIB_KB, '---p', 0);
  assert.equal(wasmMemoryRssMb(pages + apart), 0);
});

test('growthPct: growth in percent of the first figure', () => {
  assert.equal(growthPct(400, 410), 2.5);
  assert.equal(growthPct(400, 380), -5);
});

test('keystrokeWalk: one character a keystroke, forward or back, never before the start, the same for a seed', () => {
  const walk = keystrokeWalk(1000, 0.1, 16);
  assert.equal(walk.length, 1000);
  assert.equal(walk[0], 1);
  assert.ok(walk.every((at, i) => at >= 0 && Math.abs(at - (i === 0 ? 0 : walk[i - 1]!)) === 1));
  const backspaces = walk.filter((at, i) => i > 0 && at < walk[i - 1]!).length;
  assert.ok(backspaces > 50 && backspaces < 150, `${backspaces} backspaces`);
  assert.deepEqual(keystrokeWalk(1000, 0.1, 16), walk);
  assert.deepEqual(keystrokeWalk(20, 0, 3), Array.from({ length: 20 }, (_, i) => i + 1));
});
