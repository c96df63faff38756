// Head view (as bertviz draws it): query tokens on the left, key tokens on the right, joined by
// lines whose opacity is the attention weight, one colour per head. Hovering a token keeps only its
// lines; clicking a query pins it. One layer at a time, fetched on demand; only the rows in view
// (and lines touching them) are drawn, so long texts scroll smoothly.
import { keyTokensOf, type QuantizedMatrices } from '../../../src/protocol/inspector';
import { rgbCss } from '../colour';
import { button, custom, el, select, viewport, type Viewport } from '../dom';
import { fitCanvas, fitText } from '../draw';
import { displayToken } from '../labels';
import { HEAD_VIEW, headViewHitTest, headViewLayout, scrollToReveal, tokenY, type HeadViewLayout } from '../layout';
import { scaledRow, type View, type ViewHost } from './view';
import { errorText } from '../../../src/util/unknown';

/** Lines lighter than this are not drawn: invisible anyway, and they are most of T² × heads. */
export const MIN_LINE_WEIGHT = 0.02;

type Hover = { side: 'query' | 'key'; index: number } | undefined;

export class HeadView implements View {
  readonly name = 'heads' as const;
  readonly root: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly port: Viewport;
  private data: QuantizedMatrices | undefined;
  private dataKey = '';
  private hover: Hover;
  private loading = false;
  private error: string | undefined;
  private swatches: HTMLElement[] = [];

  constructor(private readonly host: ViewHost) {
    this.toolbar = el('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Head view controls' });
    this.port = viewport('heads', 'Head view: tokens joined by attention. Up and down select a query token, Escape clears.');
    this.root = el('section', { class: 'view head-view', 'aria-label': 'Head view' }, [this.toolbar, this.port.root]);
    const sc = this.port.scroller;
    sc.addEventListener('scroll', () => this.draw());
    sc.addEventListener('mousemove', (e) => this.onMove(e));
    sc.addEventListener('mouseleave', () => this.setHover(undefined));
    sc.addEventListener('click', (e) => this.onClick(e));
    sc.addEventListener('keydown', (e) => this.onKey(e));
  }

  private get layout(): HeadViewLayout {
    const s = this.host.section;
    return headViewLayout(this.port.size().width, s.queryTokens.length, keyTokensOf(s).length);
  }

  activate(): void {
    this.buildToolbar();
    void this.load();
  }

  private buildToolbar(): void {
    const s = this.host.section;
    const state = this.host.state;
    const layerSelect = select(
      'Layer',
      s.layers.map((l) => ({ value: String(l), text: `Layer ${l}` })),
      String(state.layer),
      (v) => {
        state.layer = Number(v);
        this.host.persist();
        void this.load();
      },
    );
    const toggles = el('div', { class: 'head-toggles', role: 'group', 'aria-label': 'Heads shown' });
    this.swatches = [];
    s.heads.forEach((h, hi) => {
      const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.background = rgbCss(this.host.theme.headColour(hi, s.heads.length));
      this.swatches.push(swatch);
      const box = custom('vscode-checkbox', { checked: state.enabledHeads.has(h), label: `H${h}`, 'data-head': h });
      box.addEventListener('change', () => {
        if ((box as HTMLElement & { checked: boolean }).checked) state.enabledHeads.add(h);
        else state.enabledHeads.delete(h);
        this.draw();
      });
      toggles.append(el('span', { class: 'toggle' }, [swatch, box]));
    });
    const all = button('All', 'Show every head', () => this.setHeads(true));
    const none = button('None', 'Hide every head', () => this.setHeads(false));
    this.toolbar.replaceChildren(layerSelect, toggles, all, none);
  }

  private setHeads(on: boolean): void {
    const state = this.host.state;
    state.enabledHeads = new Set(on ? this.host.section.heads : []);
    for (const box of this.toolbar.querySelectorAll('vscode-checkbox')) (box as HTMLElement & { checked: boolean }).checked = on;
    this.draw();
  }

  private async load(): Promise<void> {
    const { doc, section, state } = this.host;
    const key = `${doc.docId}|${section.id}|${state.layer}`;
    if (key === this.dataKey && this.data) {
      this.draw();
      return;
    }
    this.loading = true;
    this.error = undefined;
    this.draw();
    try {
      const data = await this.host.blocks.request(doc.docId, section.id, { kind: 'layer', layer: state.layer });
      if (key !== `${this.host.doc.docId}|${this.host.section.id}|${this.host.state.layer}`) return; // changed meanwhile
      this.data = data;
      this.dataKey = key;
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.loading = false;
    }
    this.draw();
  }

  /** Resize or theme change: recolour the swatches (keeping the controls and their focus) and repaint. */
  redraw(): void {
    const n = this.host.section.heads.length;
    this.swatches.forEach((swatch, hi) => (swatch.style.background = rgbCss(this.host.theme.headColour(hi, n))));
    this.draw();
  }

  selectQuery(index: number): void {
    this.host.state.query = index;
    const l = this.layout;
    const sc = this.port.scroller;
    sc.scrollTop = scrollToReveal(sc.scrollTop, sc.clientHeight, 0, l.rowHeight, index);
    this.draw();
    this.sendHighlight(index, false);
  }

  exportCanvas(): HTMLCanvasElement {
    return this.port.canvas;
  }

  jsonScope(): { kind: 'layer'; layer: number } {
    return { kind: 'layer', layer: this.host.state.layer };
  }

  /** p(query, key) for head position hi. */
  private weight(hi: number, q: number, k: number): number {
    const m = this.data!;
    const r = hi * m.rows + q;
    return (m.data[r * m.keys + k]! * m.scales[r]!) / 255;
  }

  /** Mean over the enabled heads of a query's row: [keys] */
  private meanRow(q: number): Float32Array {
    const m = this.data!;
    const out = new Float32Array(m.keys);
    const heads = this.enabledPositions();
    for (const hi of heads) for (let k = 0; k < m.keys; k++) out[k] += this.weight(hi, q, k);
    if (heads.length > 0) for (let k = 0; k < m.keys; k++) out[k] = out[k]! / heads.length;
    return out;
  }

  private enabledPositions(): number[] {
    const s = this.host.section;
    return s.heads.map((h, hi) => (this.host.state.enabledHeads.has(h) ? hi : -1)).filter((i) => i >= 0);
  }

  private draw(): void {
    const { section, theme, state } = this.host;
    const { width, height } = this.port.size();
    if (width === 0 || height === 0) return;
    const l = this.layout;
    this.port.spacer.style.height = `${l.contentHeight}px`;
    this.port.spacer.style.width = '1px';
    const ctx = fitCanvas(this.port.canvas, width, height);
    ctx.fillStyle = rgbCss(theme.background);
    ctx.fillRect(0, 0, width, height);
    ctx.font = `12px ${theme.monoFont}`;
    ctx.textBaseline = 'middle';
    if (this.loading || this.error || !this.data) {
      ctx.fillStyle = rgbCss(theme.muted);
      ctx.fillText(this.error ? `Could not load the layer: ${this.error}` : `Loading layer ${state.layer}…`, 12, 20);
      return;
    }
    const m = this.data;
    const scrollY = this.port.scroller.scrollTop;
    const first = Math.max(0, Math.floor((scrollY - l.top) / l.rowHeight));
    const end = Math.ceil((scrollY + height - l.top) / l.rowHeight);
    const visible = (i: number): boolean => i >= first && i < end;
    const focusQuery = this.hover?.side === 'query' ? this.hover.index : this.hover ? null : state.query;
    const focusKey = this.hover?.side === 'key' ? this.hover.index : null;
    const heads = this.enabledPositions();
    const x0 = l.queryX + 6;
    const x1 = l.keyX - 6;
    let lines = 0;
    ctx.lineWidth = focusQuery !== null || focusKey !== null ? 2 : 1.25;
    for (const hi of heads) {
      const c = theme.headColour(hi, section.heads.length);
      const line = (q: number, k: number, p: number): void => {
        ctx.strokeStyle = rgbCss(c, Math.min(1, p));
        ctx.beginPath();
        ctx.moveTo(x0, tokenY(l, q) - scrollY);
        ctx.lineTo(x1, tokenY(l, k) - scrollY);
        ctx.stroke();
        lines++;
      };
      if (focusQuery !== null) {
        for (let k = 0; k < m.keys; k++) {
          const p = this.weight(hi, focusQuery, k);
          if (p >= MIN_LINE_WEIGHT) line(focusQuery, k, p);
        }
      } else if (focusKey !== null) {
        for (let q = 0; q < m.rows; q++) {
          const p = this.weight(hi, q, focusKey);
          if (p >= MIN_LINE_WEIGHT) line(q, focusKey, p);
        }
      } else {
        // every line with an end in view: rows in view (all keys), and keys in view from rows out of view
        const keyFirst = Math.min(first, m.keys);
        const keyEnd = Math.min(end, m.keys);
        for (let q = 0; q < m.rows; q++) {
          const rowVisible = visible(q);
          const from = rowVisible ? 0 : keyFirst;
          const to = rowVisible ? m.keys : keyEnd;
          for (let k = from; k < to; k++) {
            const p = this.weight(hi, q, k);
            if (p >= MIN_LINE_WEIGHT) line(q, k, p);
          }
        }
      }
    }
    // key shading by the focused query's mean weight (bertviz's highlighted targets)
    const keyWeights = focusQuery !== null ? scaledRow(this.meanRow(focusQuery)) : undefined;
    const maxLabel = HEAD_VIEW.columnWidth - 8;
    for (let i = first; i < Math.min(end, Math.max(section.queryTokens.length, keyTokensOf(section).length)); i++) {
      const y = tokenY(l, i) - scrollY;
      const q = section.queryTokens[i];
      if (q) {
        const selected = i === focusQuery;
        if (selected) {
          ctx.fillStyle = rgbCss(theme.focus, 0.35);
          ctx.fillRect(l.queryX - maxLabel - 4, y - l.rowHeight / 2 + 1, maxLabel + 8, l.rowHeight - 2);
        }
        ctx.textAlign = 'right';
        ctx.fillStyle = rgbCss(theme.foreground);
        ctx.fillText(fitText(ctx, displayToken(q.text), maxLabel), l.queryX, y);
      }
      const k = keyTokensOf(section)[i];
      if (k) {
        const w = keyWeights?.[i] ?? (i === focusKey ? 1 : 0);
        if (w > 0) {
          ctx.fillStyle = rgbCss(theme.heat, 0.15 + 0.6 * w);
          ctx.fillRect(l.keyX - 4, y - l.rowHeight / 2 + 1, maxLabel + 8, l.rowHeight - 2);
        }
        ctx.textAlign = 'left';
        ctx.fillStyle = rgbCss(theme.foreground);
        ctx.fillText(fitText(ctx, displayToken(k.text), maxLabel), l.keyX, y);
      }
    }
    const canvas = this.port.canvas;
    canvas.dataset.lines = String(lines);
    canvas.dataset.filter = focusQuery !== null ? `query:${focusQuery}` : focusKey !== null ? `key:${focusKey}` : 'none';
    canvas.dataset.painted = 'true';
    this.host.painted();
  }

  private hitAt(e: MouseEvent): Hover {
    const box = this.port.scroller.getBoundingClientRect();
    const s = this.host.section;
    return headViewHitTest(this.layout, s.queryTokens.length, keyTokensOf(s).length, e.clientX - box.left, e.clientY - box.top + this.port.scroller.scrollTop);
  }

  private onMove(e: MouseEvent): void {
    this.setHover(this.hitAt(e));
  }

  private setHover(hit: Hover): void {
    if (hit?.side === this.hover?.side && hit?.index === this.hover?.index) return;
    this.hover = hit;
    this.draw();
    if (!this.data) return;
    const s = this.host.section;
    if (hit?.side === 'query') {
      const t = s.queryTokens[hit.index];
      this.host.status(`Query ${hit.index} “${t ? displayToken(t.text, 40) : ''}”: its lines only. Click to pin.`);
      this.sendHighlight(hit.index, false);
    } else if (hit?.side === 'key') {
      const t = keyTokensOf(s)[hit.index];
      this.host.status(`Key ${hit.index} “${t ? displayToken(t.text, 40) : ''}”: the lines into it.`);
    } else {
      // back to the pinned query's shading, or none
      this.sendHighlight(this.host.state.query, false);
    }
  }

  private sendHighlight(query: number | null, pin: boolean): void {
    if (query === null || !this.data) {
      this.host.highlight(null, null, false);
      return;
    }
    this.host.highlight(query, scaledRow(this.meanRow(query)), pin);
  }

  private onClick(e: MouseEvent): void {
    const hit = this.hitAt(e);
    if (hit?.side !== 'query') return;
    const state = this.host.state;
    state.query = state.query === hit.index ? null : hit.index;
    this.sendHighlight(state.query, state.query !== null);
    this.draw();
  }

  private onKey(e: KeyboardEvent): void {
    const state = this.host.state;
    const rows = this.host.section.queryTokens.length;
    let q = state.query;
    switch (e.key) {
      case 'ArrowDown':
        q = q === null ? 0 : Math.min(rows - 1, q + 1);
        break;
      case 'ArrowUp':
        q = q === null ? rows - 1 : Math.max(0, q - 1);
        break;
      case 'Home':
        q = 0;
        break;
      case 'End':
        q = rows - 1;
        break;
      case 'Escape':
        q = null;
        break;
      default:
        return;
    }
    e.preventDefault();
    state.query = q;
    if (q !== null) {
      const sc = this.port.scroller;
      sc.scrollTop = scrollToReveal(sc.scrollTop, sc.clientHeight, 0, this.layout.rowHeight, q);
      const t = this.host.section.queryTokens[q];
      this.host.status(`Query ${q} “${t ? displayToken(t.text, 40) : ''}”`);
    }
    this.sendHighlight(q, false);
    this.draw();
  }
}
