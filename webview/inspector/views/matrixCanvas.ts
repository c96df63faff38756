// A query × key heatmap with token labels, zoom and scroll. The matrix is one pixel per cell in an
// offscreen bitmap; each frame draws only the visible sub-rectangle, scaled without smoothing, plus
// the labels of the visible rows and keys, so 1,024 × 1,024 scrolls as smoothly as 10 × 10.
import type { QuantizedMatrices, TokenLabel } from '../../../src/protocol/inspector';
import { rgbCss } from '../colour';
import { viewport, type Viewport } from '../dom';
import { fitCanvas, fitText, matrixBitmap } from '../draw';
import { displayToken, formatStat } from '../labels';
import {
  fitZoom,
  matrixContentSize,
  matrixHitTest,
  MIN_LABEL_CELL,
  rowLabelHitTest,
  scrollToReveal,
  stepZoom,
  visibleRange,
  zoomScroll,
  type MatrixGeometry,
} from '../layout';
import type { Theme } from '../theme';

const LABEL_LEFT = 96;
const LABEL_TOP = 72;

export interface MatrixCanvasHost {
  readonly theme: Theme;
  readonly zoom: number | undefined;
  setZoom(cell: number): void;
  readonly normaliseRows: boolean;
  /** Pinned query row. */
  readonly query: number | null;
  /** Hover moved to a row (or off, null); pin on click. weights: [keys], the row's probabilities. */
  rowFocus(row: number | null, weights: Float32Array | null, pin: boolean): void;
  status(text: string): void;
  painted(): void;
}

export class MatrixCanvas {
  readonly port: Viewport;
  private data: QuantizedMatrices | undefined;
  private bitmap: HTMLCanvasElement | undefined;
  private bitmapFor: unknown[] = [];
  private queries: readonly TokenLabel[] = [];
  private keys: readonly TokenLabel[] = [];
  private hoverRow: number | null = null;
  private hoverKey: number | null = null;
  private focus = { row: 0, key: 0 };
  private message: string | undefined = 'Loading…';
  private frame = 0;

  constructor(
    name: string,
    label: string,
    private readonly host: MatrixCanvasHost,
  ) {
    this.port = viewport(name, label);
    const sc = this.port.scroller;
    sc.addEventListener('scroll', () => this.schedule());
    sc.addEventListener('mousemove', (e) => this.onMove(e));
    sc.addEventListener('mouseleave', () => this.setHover(null, null));
    sc.addEventListener('click', (e) => this.onClick(e));
    sc.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    sc.addEventListener('keydown', (e) => this.onKey(e));
  }

  get canvas(): HTMLCanvasElement {
    return this.port.canvas;
  }

  /** Shows a message instead of data (loading, errors). */
  showMessage(text: string): void {
    this.message = text;
    this.data = undefined;
    this.draw();
  }

  setData(data: QuantizedMatrices, queries: readonly TokenLabel[], keys: readonly TokenLabel[]): void {
    this.data = data;
    this.queries = queries;
    this.keys = keys;
    this.message = undefined;
    this.focus = { row: Math.min(this.focus.row, data.rows - 1), key: Math.min(this.focus.key, data.keys - 1) };
    if (this.host.zoom === undefined) {
      const { width, height } = this.port.size();
      this.host.setZoom(fitZoom(width, height, { rows: data.rows, keys: data.keys, labelLeft: LABEL_LEFT, labelTop: LABEL_TOP }));
    }
    this.draw();
  }

  /** Row r of the current data as probabilities: [keys] */
  row(r: number): Float32Array {
    const m = this.data;
    if (!m) return new Float32Array(0);
    const out = new Float32Array(m.keys);
    const s = m.scales[r]! / 255;
    for (let k = 0; k < m.keys; k++) out[k] = m.data[r * m.keys + k]! * s;
    return out;
  }

  private geometry(): MatrixGeometry {
    return { rows: this.data?.rows ?? 0, keys: this.data?.keys ?? 0, cell: this.host.zoom ?? 4, labelLeft: LABEL_LEFT, labelTop: LABEL_TOP };
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private image(): HTMLCanvasElement | undefined {
    const m = this.data;
    if (!m) return undefined;
    const key = [m, this.host.theme, this.host.normaliseRows];
    if (!this.bitmap || key.some((v, i) => v !== this.bitmapFor[i])) {
      const theme = this.host.theme;
      this.bitmap = matrixBitmap(m, 0, this.host.normaliseRows ? theme.lutRows : theme.lutAbsolute, this.host.normaliseRows);
      this.bitmapFor = key;
    }
    return this.bitmap;
  }

  draw(): void {
    const theme = this.host.theme;
    const { width, height } = this.port.size();
    if (width === 0 || height === 0) return;
    const g = this.geometry();
    const content = matrixContentSize(g);
    this.port.spacer.style.width = `${content.width}px`;
    this.port.spacer.style.height = `${content.height}px`;
    const ctx = fitCanvas(this.port.canvas, width, height);
    ctx.fillStyle = rgbCss(theme.background);
    ctx.fillRect(0, 0, width, height);
    const m = this.data;
    const bitmap = this.image();
    if (!m || !bitmap || this.message) {
      ctx.fillStyle = rgbCss(theme.muted);
      ctx.font = `12px ${theme.font}`;
      ctx.textBaseline = 'middle';
      ctx.fillText(this.message ?? 'No data', 12, 20);
      return;
    }
    const sx = this.port.scroller.scrollLeft;
    const sy = this.port.scroller.scrollTop;
    const cols = visibleRange(sx, width, g.labelLeft, g.cell, g.keys);
    const rows = visibleRange(sy, height, g.labelTop, g.cell, g.rows);
    // 1. the visible cells, one drawImage
    ctx.imageSmoothingEnabled = false;
    if (cols.end > cols.first && rows.end > rows.first) {
      ctx.drawImage(
        bitmap,
        cols.first,
        rows.first,
        cols.end - cols.first,
        rows.end - rows.first,
        g.labelLeft + cols.first * g.cell - sx,
        g.labelTop + rows.first * g.cell - sy,
        (cols.end - cols.first) * g.cell,
        (rows.end - rows.first) * g.cell,
      );
    }
    const cx = (k: number): number => g.labelLeft + k * g.cell - sx;
    const cy = (r: number): number => g.labelTop + r * g.cell - sy;
    // 2. hover / pinned row and focus cell
    const focusRow = this.hoverRow ?? this.host.query;
    if (focusRow !== null && focusRow >= rows.first && focusRow < rows.end) {
      ctx.strokeStyle = rgbCss(theme.focus);
      ctx.lineWidth = 1;
      ctx.strokeRect(g.labelLeft - 0.5, cy(focusRow) - 0.5, Math.min(width, cx(g.keys)) - g.labelLeft + 1, g.cell + 1);
    }
    if (this.hoverKey !== null) {
      ctx.strokeStyle = rgbCss(theme.muted);
      ctx.strokeRect(cx(this.hoverKey) - 0.5, g.labelTop - 0.5, g.cell + 1, Math.min(height, cy(g.rows)) - g.labelTop + 1);
    }
    if (document.activeElement === this.port.scroller) {
      ctx.strokeStyle = rgbCss(theme.focus);
      ctx.lineWidth = 2;
      ctx.strokeRect(cx(this.focus.key) - 1, cy(this.focus.row) - 1, g.cell + 2, g.cell + 2);
    }
    // 3. gutters with labels (drawn last: they stay put while the cells scroll under them)
    ctx.fillStyle = rgbCss(theme.background);
    ctx.fillRect(0, 0, g.labelLeft, height);
    ctx.fillRect(0, 0, width, g.labelTop);
    ctx.fillStyle = rgbCss(theme.foreground);
    const fontSize = Math.max(8, Math.min(12, g.cell - 1));
    ctx.font = `${fontSize}px ${theme.monoFont}`;
    ctx.textBaseline = 'middle';
    // every step-th label when cells are smaller than a line of text
    const step = Math.max(1, Math.ceil(MIN_LABEL_CELL / g.cell));
    ctx.textAlign = 'right';
    for (let r = rows.first - (rows.first % step); r < rows.end; r += step) {
      const t = this.queries[r];
      if (!t || r < rows.first) continue;
      ctx.fillStyle = rgbCss(r === focusRow ? theme.focus : theme.foreground);
      ctx.fillText(fitText(ctx, displayToken(t.text), g.labelLeft - 8), g.labelLeft - 4, cy(r) + g.cell / 2);
    }
    ctx.textAlign = 'left';
    for (let k = cols.first - (cols.first % step); k < cols.end; k += step) {
      const t = this.keys[k];
      if (!t || k < cols.first) continue;
      ctx.save();
      ctx.translate(cx(k) + g.cell / 2, g.labelTop - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillStyle = rgbCss(k === this.hoverKey ? theme.focus : theme.foreground);
      ctx.fillText(fitText(ctx, displayToken(t.text), g.labelTop - 8), 0, 0);
      ctx.restore();
    }
    ctx.fillStyle = rgbCss(theme.muted);
    ctx.font = `10px ${theme.font}`;
    ctx.textAlign = 'left';
    ctx.fillText('query ↓  key →', 4, 10);
    const canvas = this.port.canvas;
    canvas.dataset.painted = 'true';
    canvas.dataset.cell = String(g.cell);
    canvas.dataset.visibleRows = `${rows.first}-${rows.end}`;
    canvas.dataset.visibleKeys = `${cols.first}-${cols.end}`;
    this.host.painted();
  }

  private pointer(e: MouseEvent): { x: number; y: number } {
    const box = this.port.scroller.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  }

  private onMove(e: MouseEvent): void {
    if (!this.data) return;
    const { x, y } = this.pointer(e);
    const g = this.geometry();
    const sc = this.port.scroller;
    const cell = matrixHitTest(g, sc.scrollLeft, sc.scrollTop, x, y);
    if (cell) {
      this.setHover(cell.row, cell.key);
      const p = (this.data.data[cell.row * g.keys + cell.key]! * this.data.scales[cell.row]!) / 255;
      const q = this.queries[cell.row];
      const k = this.keys[cell.key];
      this.host.status(`${displayToken(q?.text ?? '', 30)} (${cell.row}) → ${displayToken(k?.text ?? '', 30)} (${cell.key}): ${formatStat(p, 4)}`);
      return;
    }
    const row = rowLabelHitTest(g, sc.scrollTop, x, y);
    this.setHover(row ?? null, null);
    if (row !== undefined) this.host.status(`Query ${row} “${displayToken(this.queries[row]?.text ?? '', 40)}”: its row. Click to pin.`);
  }

  private setHover(row: number | null, key: number | null): void {
    const rowChanged = row !== this.hoverRow;
    if (!rowChanged && key === this.hoverKey) return;
    this.hoverRow = row;
    this.hoverKey = key;
    this.schedule();
    if (rowChanged) {
      const r = row ?? this.host.query;
      this.host.rowFocus(r, r === null ? null : this.row(r), false);
    }
  }

  private onClick(e: MouseEvent): void {
    if (!this.data) return;
    const { x, y } = this.pointer(e);
    const g = this.geometry();
    const sc = this.port.scroller;
    const row = matrixHitTest(g, sc.scrollLeft, sc.scrollTop, x, y)?.row ?? rowLabelHitTest(g, sc.scrollTop, x, y);
    if (row === undefined) return;
    const pinned = this.host.query === row ? null : row;
    this.host.rowFocus(pinned, pinned === null ? null : this.row(pinned), true);
    this.schedule();
  }

  /** Selects a query row (editor cursor) and scrolls it into view. */
  revealRow(row: number): void {
    const g = this.geometry();
    const sc = this.port.scroller;
    sc.scrollTop = scrollToReveal(sc.scrollTop, sc.clientHeight, g.labelTop, g.cell, row);
    this.focus = { ...this.focus, row };
    this.schedule();
  }

  zoomBy(direction: 1 | -1, pointer?: { x: number; y: number }): void {
    const g = this.geometry();
    const next = stepZoom(g.cell, direction);
    this.zoomTo(next, pointer);
  }

  zoomToFit(): void {
    if (!this.data) return;
    const { width, height } = this.port.size();
    this.zoomTo(fitZoom(width, height, { rows: this.data.rows, keys: this.data.keys, labelLeft: LABEL_LEFT, labelTop: LABEL_TOP }));
  }

  private zoomTo(cell: number, pointer?: { x: number; y: number }): void {
    const from = this.geometry().cell;
    if (cell === from) return;
    const sc = this.port.scroller;
    const { width, height } = this.port.size();
    const px = pointer?.x ?? width / 2;
    const py = pointer?.y ?? height / 2;
    const left = zoomScroll(sc.scrollLeft, px, LABEL_LEFT, from, cell);
    const top = zoomScroll(sc.scrollTop, py, LABEL_TOP, from, cell);
    this.host.setZoom(cell);
    // grow the spacer first, or the browser clamps the new scroll offsets to the old size
    this.draw();
    sc.scrollLeft = left;
    sc.scrollTop = top;
    this.draw();
    this.host.status(`Zoom: ${cell} px per cell`);
  }

  private onWheel(e: WheelEvent): void {
    if (!e.ctrlKey && !e.metaKey) return; // plain wheel scrolls
    e.preventDefault();
    this.zoomBy(e.deltaY < 0 ? 1 : -1, this.pointer(e));
  }

  private onKey(e: KeyboardEvent): void {
    const m = this.data;
    if (!m) return;
    const f = { ...this.focus };
    const page = Math.max(1, Math.floor(this.port.size().height / this.geometry().cell) - 1);
    switch (e.key) {
      case 'ArrowDown':
        f.row = Math.min(m.rows - 1, f.row + 1);
        break;
      case 'ArrowUp':
        f.row = Math.max(0, f.row - 1);
        break;
      case 'ArrowRight':
        f.key = Math.min(m.keys - 1, f.key + 1);
        break;
      case 'ArrowLeft':
        f.key = Math.max(0, f.key - 1);
        break;
      case 'PageDown':
        f.row = Math.min(m.rows - 1, f.row + page);
        break;
      case 'PageUp':
        f.row = Math.max(0, f.row - page);
        break;
      case '+':
      case '=':
        e.preventDefault();
        this.zoomBy(1);
        return;
      case '-':
        e.preventDefault();
        this.zoomBy(-1);
        return;
      case '0':
        e.preventDefault();
        this.zoomToFit();
        return;
      case 'Enter':
      case ' ': {
        e.preventDefault();
        const pinned = this.host.query === f.row ? null : f.row;
        this.host.rowFocus(pinned, pinned === null ? null : this.row(pinned), true);
        this.schedule();
        return;
      }
      default:
        return;
    }
    e.preventDefault();
    this.focus = f;
    const g = this.geometry();
    const sc = this.port.scroller;
    sc.scrollTop = scrollToReveal(sc.scrollTop, sc.clientHeight, g.labelTop, g.cell, f.row);
    sc.scrollLeft = scrollToReveal(sc.scrollLeft, sc.clientWidth, g.labelLeft, g.cell, f.key);
    const p = (m.data[f.row * m.keys + f.key]! * m.scales[f.row]!) / 255;
    this.host.status(
      `${displayToken(this.queries[f.row]?.text ?? '', 30)} (${f.row}) → ${displayToken(this.keys[f.key]?.text ?? '', 30)} (${f.key}): ${formatStat(p, 4)}`,
    );
    this.host.rowFocus(f.row, this.row(f.row), false);
    this.schedule();
  }
}
