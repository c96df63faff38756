// Head statistics as a sortable table; a row opens its head in the matrix view.
import type { HeadStats } from '../../../src/engine/types';
import { el } from '../dom';
import { formatStat } from '../labels';
import { sortStats, STAT_COLUMNS, type StatKey } from '../stats';
import type { View, ViewHost } from './view';

export class StatsView implements View {
  readonly name = 'stats' as const;
  readonly root: HTMLElement;
  private readonly table: HTMLTableElement;
  private sortKey: StatKey = 'layer';
  private ascending = true;

  constructor(private readonly host: ViewHost) {
    this.table = el('table', { class: 'stats-table' });
    this.root = el('section', { class: 'view stats-view', 'aria-label': 'Head statistics' }, [el('div', { class: 'table-scroll' }, [this.table])]);
  }

  activate(): void {
    this.render();
    this.host.painted();
  }

  redraw(): void {
    this.render();
  }

  selectQuery(): void {
    // statistics are per head, not per token
  }

  exportCanvas(): undefined {
    return undefined;
  }

  jsonScope(): undefined {
    return undefined;
  }

  private render(): void {
    const head = el('tr');
    for (const col of STAT_COLUMNS) {
      const active = col.key === this.sortKey;
      const b = el('button', { class: 'sort', type: 'button', text: `${col.title}${active ? (this.ascending ? ' ▲' : ' ▼') : ''}` });
      b.addEventListener('click', () => {
        this.ascending = active ? !this.ascending : !col.numeric || col.key === 'layer' || col.key === 'head';
        this.sortKey = col.key;
        this.render();
        (this.table.querySelector(`th[data-key="${col.key}"] button`) as HTMLElement | null)?.focus();
      });
      head.append(el('th', { scope: 'col', 'data-key': col.key, 'aria-sort': active ? (this.ascending ? 'ascending' : 'descending') : 'none', class: col.numeric ? 'num' : '' }, [b]));
    }
    const body = el('tbody');
    const section = this.host.section;
    for (const s of sortStats(section.stats, this.sortKey, this.ascending)) body.append(this.row(s));
    if (section.statsPending) {
      body.append(el('tr', { class: 'pending' }, [el('td', { colspan: STAT_COLUMNS.length, text: 'Computing head statistics…' })]));
    }
    this.table.setAttribute('aria-busy', String(section.statsPending));
    this.table.replaceChildren(el('thead', {}, [head]), body);
  }

  private row(s: HeadStats): HTMLTableRowElement {
    const tr = el('tr', { tabindex: 0, title: `Open layer ${s.layer}, head ${s.head}`, 'data-layer': s.layer, 'data-head': s.head }, [
      el('td', { class: 'num', text: s.layer }),
      el('td', { class: 'num', text: s.head }),
      el('td', {}, [el('span', { class: `badge label-${s.label}`, text: s.label })]),
      el('td', { class: 'num', text: formatStat(s.entropy) }),
      el('td', { class: 'num', text: formatStat(s.meanDistance, 2) }),
      el('td', { class: 'num', text: formatStat(s.previousToken) }),
      el('td', { class: 'num', text: formatStat(s.firstToken) }),
      el('td', { class: 'num', text: formatStat(s.selfToken) }),
    ]);
    const open = (): void => this.host.openHead(s.layer, s.head);
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        open();
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const next = (e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling) as HTMLElement | null;
        next?.focus();
      }
    });
    return tr;
  }
}
