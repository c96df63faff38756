// `npm run bench -- NAME` updates its figures in bench/results/latest.json and keeps the others.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type BenchReport, mergeReports } from '../../../bench/types';

const machine = (cpu: string) => ({ cpu, cores: 2, node: 'v20', onnxruntime: 'onnxruntime-web 1.30.0' });

it('replaces rows of the same system, model and metric and the same ratio and metric keys; keeps the rest', () => {
  const earlier: BenchReport = {
    machine: machine('old'),
    results: [
      { system: 'a', model: 'm', metric: 'x', value: 1, unit: 'ms' },
      { system: 'a', model: 'm', metric: 'y', value: 2, unit: 'ms' },
      { system: 'b', model: 'm', metric: 'x', value: 3, unit: 'ms' },
    ],
    ratios: { r1: 1, r2: 2 },
    metrics: { k1: 1 },
  };
  const newer: BenchReport = {
    machine: machine('new'),
    results: [{ system: 'a', model: 'm', metric: 'x', value: 10, unit: 'ms' }],
    ratios: { r2: 20 },
    metrics: { k2: 2 },
  };
  assert.deepEqual(mergeReports(earlier, newer), {
    machine: machine('new'),
    results: [
      { system: 'a', model: 'm', metric: 'y', value: 2, unit: 'ms' },
      { system: 'b', model: 'm', metric: 'x', value: 3, unit: 'ms' },
      { system: 'a', model: 'm', metric: 'x', value: 10, unit: 'ms' },
    ],
    ratios: { r1: 1, r2: 20 },
    metrics: { k1: 1, k2: 2 },
  });
});
