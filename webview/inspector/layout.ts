// Geometry of the inspector's canvases: the model grid, the scrolling matrix and the head view's
// two token columns. Pure (no DOM), so hit testing and virtualisation are unit-tested.

export interface GridLayout {
  readonly layers: number;
  readonly heads: number;
  readonly cell: number;
  readonly gap: number;
  /** Width of the layer labels column, height of the head labels row. */
  readonly left: number;
  readonly top: number;
  /** Height of the badge strip under each heatmap. */
  readonly badge: number;
  readonly width: number;
  readonly height: number;
}

export const GRID = { minCell: 28, maxCell: 120, gap: 6, left: 36, top: 20, badge: 14 } as const;

/** Fits layers × heads heatmaps into `width` pixels, each between minCell and maxCell wide. */
export function modelGridLayout(width: number, layers: number, heads: number): GridLayout {
  const free = width - GRID.left - GRID.gap * (heads + 1);
  const cell = Math.max(GRID.minCell, Math.min(GRID.maxCell, Math.floor(free / Math.max(1, heads))));
  return {
    layers,
    heads,
    cell,
    gap: GRID.gap,
    left: GRID.left,
    top: GRID.top,
    badge: GRID.badge,
    width: GRID.left + heads * (cell + GRID.gap) + GRID.gap,
    height: GRID.top + layers * (cell + GRID.badge + GRID.gap) + GRID.gap,
  };
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** The heatmap square of (layer position, head position). */
export function gridCellRect(g: GridLayout, layer: number, head: number): Rect {
  return { x: g.left + g.gap + head * (g.cell + g.gap), y: g.top + layer * (g.cell + g.badge + g.gap), w: g.cell, h: g.cell };
}

/** Which heatmap (including its badge) is under a point, if any. */
export function gridHitTest(g: GridLayout, x: number, y: number): { layer: number; head: number } | undefined {
  const head = Math.floor((x - g.left - g.gap) / (g.cell + g.gap));
  const layer = Math.floor((y - g.top) / (g.cell + g.badge + g.gap));
  if (head < 0 || head >= g.heads || layer < 0 || layer >= g.layers) return undefined;
  const r = gridCellRect(g, layer, head);
  if (x < r.x || x >= r.x + r.w || y < r.y || y >= r.y + r.h + g.badge) return undefined;
  return { layer, head };
}

// ---------------------------------------------------------------- matrix

/** Cell sizes the matrix zooms through, in CSS pixels. */
export const ZOOM_LEVELS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32] as const;
/** Labels are drawn only when a cell is at least this tall (a 10 px font). */
export const MIN_LABEL_CELL = 10;

export interface MatrixGeometry {
  readonly rows: number;
  readonly keys: number;
  readonly cell: number;
  /** Row labels on the left, key labels on top (sticky gutters). */
  readonly labelLeft: number;
  readonly labelTop: number;
}

export function matrixContentSize(g: MatrixGeometry): { width: number; height: number } {
  return { width: g.labelLeft + g.keys * g.cell, height: g.labelTop + g.rows * g.cell };
}

/** [first, end) of the items visible in a scrolled viewport of `size` pixels after a `gutter`. */
export function visibleRange(scroll: number, size: number, gutter: number, cell: number, count: number): { first: number; end: number } {
  const first = Math.max(0, Math.floor(scroll / cell));
  const end = Math.min(count, Math.ceil((scroll + Math.max(0, size - gutter)) / cell));
  return { first: Math.min(first, count), end: Math.max(end, Math.min(first, count)) };
}

/** The cell under a viewport point, or undefined over the gutters or past the matrix. */
export function matrixHitTest(g: MatrixGeometry, scrollX: number, scrollY: number, x: number, y: number): { row: number; key: number } | undefined {
  if (x < g.labelLeft || y < g.labelTop) return undefined;
  const key = Math.floor((x - g.labelLeft + scrollX) / g.cell);
  const row = Math.floor((y - g.labelTop + scrollY) / g.cell);
  if (row < 0 || row >= g.rows || key < 0 || key >= g.keys) return undefined;
  return { row, key };
}

/** The row under a point of the left gutter (row labels), or undefined. */
export function rowLabelHitTest(g: MatrixGeometry, scrollY: number, x: number, y: number): number | undefined {
  if (x >= g.labelLeft || y < g.labelTop) return undefined;
  const row = Math.floor((y - g.labelTop + scrollY) / g.cell);
  return row >= 0 && row < g.rows ? row : undefined;
}

/** The next zoom level up (+1) or down (−1) from a cell size. */
export function stepZoom(cell: number, direction: 1 | -1): number {
  if (direction > 0) return ZOOM_LEVELS.find((z) => z > cell) ?? ZOOM_LEVELS[ZOOM_LEVELS.length - 1]!;
  return [...ZOOM_LEVELS].reverse().find((z) => z < cell) ?? ZOOM_LEVELS[0];
}

/** The largest zoom level at which the whole matrix fits the viewport (at least the smallest). */
export function fitZoom(width: number, height: number, g: Omit<MatrixGeometry, 'cell'>): number {
  const fit = Math.min((width - g.labelLeft) / Math.max(1, g.keys), (height - g.labelTop) / Math.max(1, g.rows));
  return [...ZOOM_LEVELS].reverse().find((z) => z <= fit) ?? ZOOM_LEVELS[0];
}

/**
 * The scroll offset that keeps the content point under the pointer fixed while the cell size
 * changes from `from` to `to` (zooming "around the mouse").
 */
export function zoomScroll(scroll: number, pointer: number, gutter: number, from: number, to: number): number {
  const contentPoint = scroll + Math.max(0, pointer - gutter); // in matrix pixels at `from`
  return Math.max(0, (contentPoint / from) * to - Math.max(0, pointer - gutter));
}

/** The scroll offset that brings item i fully into a viewport (unchanged when already visible). */
export function scrollToReveal(scroll: number, size: number, gutter: number, cell: number, i: number): number {
  const start = i * cell;
  const view = Math.max(cell, size - gutter);
  if (start < scroll) return start;
  if (start + cell > scroll + view) return start + cell - view;
  return scroll;
}

// ---------------------------------------------------------------- head view

export const HEAD_VIEW = { rowHeight: 18, top: 8, columnWidth: 130, minGap: 120 } as const;

export interface HeadViewLayout {
  readonly rowHeight: number;
  readonly top: number;
  /** x where query labels end (right-aligned) and where key labels start. */
  readonly queryX: number;
  readonly keyX: number;
  readonly contentHeight: number;
}

export function headViewLayout(width: number, rows: number, keys: number): HeadViewLayout {
  const gap = Math.max(HEAD_VIEW.minGap, width - 2 * HEAD_VIEW.columnWidth - 16);
  const queryX = 8 + HEAD_VIEW.columnWidth;
  return {
    rowHeight: HEAD_VIEW.rowHeight,
    top: HEAD_VIEW.top,
    queryX,
    keyX: queryX + gap,
    contentHeight: HEAD_VIEW.top * 2 + Math.max(rows, keys) * HEAD_VIEW.rowHeight,
  };
}

/** Centre y of token i (in content coordinates). */
export function tokenY(l: HeadViewLayout, i: number): number {
  return l.top + i * l.rowHeight + l.rowHeight / 2;
}

/** Which token (query on the left, key on the right) is under a content point. */
export function headViewHitTest(l: HeadViewLayout, rows: number, keys: number, x: number, y: number): { side: 'query' | 'key'; index: number } | undefined {
  const index = Math.floor((y - l.top) / l.rowHeight);
  if (x <= l.queryX + 4 && x >= l.queryX - HEAD_VIEW.columnWidth) return index >= 0 && index < rows ? { side: 'query', index } : undefined;
  if (x >= l.keyX - 4 && x <= l.keyX + HEAD_VIEW.columnWidth) return index >= 0 && index < keys ? { side: 'key', index } : undefined;
  return undefined;
}
