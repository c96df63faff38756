// The pure parts of bench/hardening.ts (the storm and the soak themselves run in `npm run bench`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { growthPct, keystrokeWalk } from '../../bench/hardening';

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
