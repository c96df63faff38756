// Sorting of the head-statistics table. Pure.
import type { HeadStats } from '../../src/engine/types';

export type StatKey = 'layer' | 'head' | 'label' | 'entropy' | 'meanDistance' | 'previousToken' | 'firstToken' | 'selfToken';

export const STAT_COLUMNS: readonly { readonly key: StatKey; readonly title: string; readonly numeric: boolean }[] = [
  { key: 'layer', title: 'Layer', numeric: true },
  { key: 'head', title: 'Head', numeric: true },
  { key: 'label', title: 'Label', numeric: false },
  { key: 'entropy', title: 'Entropy (nats)', numeric: true },
  { key: 'meanDistance', title: 'Mean distance', numeric: true },
  { key: 'previousToken', title: 'Previous', numeric: true },
  { key: 'firstToken', title: 'First (sink)', numeric: true },
  { key: 'selfToken', title: 'Self', numeric: true },
];

/** A stable sort by one column; ties keep layer/head order. */
export function sortStats(stats: readonly HeadStats[], key: StatKey, ascending: boolean): HeadStats[] {
  const dir = ascending ? 1 : -1;
  return stats
    .map((s, i) => ({ s, i }))
    .sort((a, b) => {
      const x = a.s[key];
      const y = b.s[key];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return c !== 0 ? c * dir : a.i - b.i;
    })
    .map(({ s }) => s);
}
