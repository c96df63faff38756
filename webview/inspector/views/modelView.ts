// Model view: every layer × head as a small heatmap (the host's 32 × 32 thumbnails), labelled,
// with a statistics badge under each. Hover shows the head's statistics; click or Enter opens it.
import type { HeadStats } from '../../../src/engine/types';
import { rgbCss } from '../colour';
import { fitCanvas, matrixAtlas, type AtlasCell } from '../draw';
import { el } from '../dom';
import { badgeText, formatStat } from '../labels';
import { gridCellRect, gridHitTest, modelGridLayout, type GridLayout } from '../layout';
import type { View, ViewHost } from './view';

const LABELS = ['previous-token', 'local', 'long-range', 'sink', 'broad'] as const;

export function statsText(s: HeadStats | undefined, layer: number, head: number): string {
  if (!s) return `Layer ${layer}, head ${head}`;
  return (
    `Layer ${layer}, head ${head}: ${s.label} · entropy ${formatStat(s.entropy)} nats · ` +
    `mean distance ${formatStat(s.meanDistance, 2)} · previous ${formatStat(s.previousToken)} · ` +
    `first ${formatStat(s.firstToken)} · self ${formatStat(s.selfToken)}`
  );
}

export class ModelView implements View {
  readonly name = 'model' as const;
  readonly root: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly scroll: HTMLElement;
  private readonly tooltip: HTMLElement;
  private layout: GridLayout | undefined;
  private atlas: { canvas: HTMLCanvasElement; cells: AtlasCell[] } | undefined;
  private atlasFor: unknown;
  private hover: { layer: number; head: number } | undefined;
  private focus = { layer: 0, head: 0 };

  constructor(private readonly host: ViewHost) {
    this.canvas = el('canvas', { 'data-view': 'model', class: 'grid-canvas', tabindex: 0, role: 'grid', 'aria-label': 'Layers × heads. Arrow keys move, Enter opens the head.' });
    this.tooltip = el('div', { class: 'tooltip', role: 'tooltip', hidden: true });
    this.scroll = el('div', { class: 'model-scroll' }, [this.canvas, this.tooltip]);
    const legend = el('div', { class: 'legend', 'aria-hidden': 'true' });
    this.root = el('section', { class: 'view model-view', 'aria-label': 'Model view' }, [this.scroll, legend]);
    this.canvas.addEventListener('mousemove', (e) => this.onMove(e));
    this.canvas.addEventListener('mouseleave', () => this.setHover(undefined));
    this.canvas.addEventListener('click', (e) => {
      const hit = this.hit(e);
      if (hit) this.open(hit.layer, hit.head);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('focus', () => this.announceFocus());
  }

  activate(): void {
    this.redraw();
  }

  selectQuery(): void {
    // the model view has no tokens
  }

  exportCanvas(): HTMLCanvasElement {
    return this.canvas;
  }

  jsonScope(): undefined {
    return undefined;
  }

  private stat(li: number, hi: number): HeadStats | undefined {
    const s = this.host.section;
    return s.stats[li * s.heads.length + hi];
  }

  /** All heads' thumbnails in one bitmap, rebuilt when they or the theme change (not when statistics arrive). */
  private thumbnails(): { canvas: HTMLCanvasElement; cells: AtlasCell[] } {
    const key = [this.host.section.thumbnails, this.host.theme];
    const cached = this.atlas;
    if (cached && this.atlasFor !== undefined && (this.atlasFor as unknown[])[0] === key[0] && (this.atlasFor as unknown[])[1] === key[1]) return cached;
    // Thumbnails are row-normalised (byte = p / row max): late rows of a causal head spread over
    // hundreds of keys and would vanish on an absolute scale.
    const atlas = matrixAtlas(this.host.section.thumbnails, this.host.theme.lutRows, true);
    this.atlas = atlas;
    this.atlasFor = key;
    return atlas;
  }

  redraw(): void {
    const section = this.host.section;
    const theme = this.host.theme;
    const width = Math.max(200, this.scroll.clientWidth - 4);
    const g = modelGridLayout(width, section.layers.length, section.heads.length);
    this.layout = g;
    const ctx = fitCanvas(this.canvas, g.width, g.height);
    ctx.fillStyle = rgbCss(theme.background);
    ctx.fillRect(0, 0, g.width, g.height);
    ctx.imageSmoothingEnabled = false;
    ctx.textBaseline = 'middle';
    ctx.font = `11px ${theme.font}`;
    ctx.fillStyle = rgbCss(theme.foreground);
    ctx.textAlign = 'center';
    section.heads.forEach((h, hi) => {
      const r = gridCellRect(g, 0, hi);
      ctx.fillText(`H${h}`, r.x + r.w / 2, g.top / 2);
    });
    ctx.textAlign = 'right';
    section.layers.forEach((l, li) => {
      const r = gridCellRect(g, li, 0);
      ctx.fillText(`L${l}`, g.left - 4, r.y + r.h / 2);
    });
    const thumbs = this.thumbnails();
    ctx.textAlign = 'center';
    ctx.font = `9px ${theme.font}`;
    section.layers.forEach((_, li) => {
      section.heads.forEach((_, hi) => {
        const r = gridCellRect(g, li, hi);
        const cell = thumbs.cells[li * section.heads.length + hi];
        if (cell) ctx.drawImage(thumbs.canvas, cell.x, cell.y, cell.w, cell.h, r.x, r.y, r.w, r.h);
        ctx.strokeStyle = rgbCss(theme.border);
        ctx.lineWidth = 1;
        ctx.strokeRect(r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
        const s = this.stat(li, hi);
        if (s) {
          const colour = theme.headColour(LABELS.indexOf(s.label), LABELS.length);
          ctx.fillStyle = rgbCss(colour);
          ctx.fillRect(r.x, r.y + r.h + 3, 4, g.badge - 6);
          ctx.fillStyle = rgbCss(theme.foreground);
          ctx.fillText(`${badgeText(s.label)} ${s.entropy.toFixed(1)}`, r.x + r.w / 2 + 2, r.y + r.h + g.badge / 2 + 1);
        }
      });
    });
    this.drawOutline(ctx, this.hover, theme.muted, 1);
    if (document.activeElement === this.canvas) this.drawOutline(ctx, this.focus, theme.focus, 2);
    this.canvas.dataset.painted = 'true';
    this.host.painted();
  }

  private drawOutline(ctx: CanvasRenderingContext2D, at: { layer: number; head: number } | undefined, colour: readonly [number, number, number], width: number): void {
    if (!at || !this.layout) return;
    const r = gridCellRect(this.layout, at.layer, at.head);
    ctx.strokeStyle = rgbCss(colour);
    ctx.lineWidth = width;
    ctx.strokeRect(r.x - width, r.y - width, r.w + 2 * width, r.h + this.layout.badge + 2 * width);
  }

  private hit(e: MouseEvent): { layer: number; head: number } | undefined {
    if (!this.layout) return undefined;
    const box = this.canvas.getBoundingClientRect();
    return gridHitTest(this.layout, e.clientX - box.left, e.clientY - box.top);
  }

  private onMove(e: MouseEvent): void {
    const hit = this.hit(e);
    this.setHover(hit);
    if (!hit) return;
    const section = this.host.section;
    const text = statsText(this.stat(hit.layer, hit.head), section.layers[hit.layer]!, section.heads[hit.head]!);
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
    const box = this.scroll.getBoundingClientRect();
    this.tooltip.style.left = `${Math.min(e.clientX - box.left + this.scroll.scrollLeft + 12, this.scroll.scrollWidth - 260)}px`;
    this.tooltip.style.top = `${e.clientY - box.top + this.scroll.scrollTop + 14}px`;
    this.host.status(text);
  }

  private setHover(hit: { layer: number; head: number } | undefined): void {
    const same = hit?.layer === this.hover?.layer && hit?.head === this.hover?.head;
    this.hover = hit;
    if (!hit) this.tooltip.hidden = true;
    if (!same) this.redraw();
  }

  private open(li: number, hi: number): void {
    const s = this.host.section;
    this.host.openHead(s.layers[li]!, s.heads[hi]!);
  }

  private announceFocus(): void {
    const s = this.host.section;
    this.host.status(statsText(this.stat(this.focus.layer, this.focus.head), s.layers[this.focus.layer]!, s.heads[this.focus.head]!));
    this.redraw();
  }

  private onKey(e: KeyboardEvent): void {
    const s = this.host.section;
    const f = { ...this.focus };
    switch (e.key) {
      case 'ArrowRight':
        f.head = Math.min(s.heads.length - 1, f.head + 1);
        break;
      case 'ArrowLeft':
        f.head = Math.max(0, f.head - 1);
        break;
      case 'ArrowDown':
        f.layer = Math.min(s.layers.length - 1, f.layer + 1);
        break;
      case 'ArrowUp':
        f.layer = Math.max(0, f.layer - 1);
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.open(f.layer, f.head);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.focus = f;
    this.announceFocus();
  }
}
