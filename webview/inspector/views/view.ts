// What every inspector view gets from the app, and what the app asks of a view.
import type { BlockScope, InspectorDocument, Reduction, SectionSummary, ViewName } from '../../../src/protocol/inspector';
import type { BlockClient } from '../blocks';
import type { Theme } from '../theme';

/** UI state shared by the views (kept across documents when it still applies). */
export interface UiState {
  layer: number;
  head: number;
  reduction: Reduction;
  /** Heads drawn in the head view. */
  enabledHeads: Set<number>;
  /** Pinned query token (clicked, or the editor cursor), or null. */
  query: number | null;
  /** Matrix cell size in CSS px; undefined = fit on first show. */
  zoom: number | undefined;
  /** Colour by p / row max instead of p. */
  normaliseRows: boolean;
}

export interface ViewHost {
  readonly doc: InspectorDocument;
  readonly section: SectionSummary;
  readonly theme: Theme;
  readonly blocks: BlockClient;
  readonly state: UiState;
  /** Opens one head in the matrix view. */
  openHead(layer: number, head: number): void;
  /** One line in the status bar under the view (also read by screen readers). */
  status(text: string): void;
  /** Shade the editor by a query's weights over key tokens (scaled to 0..1), or clear (null). */
  highlight(query: number | null, weights: ArrayLike<number> | null, pin: boolean): void;
  /** The view drew real data for the current document (first paint is measured from this). */
  painted(): void;
  /** UI state changed: persist it for a reload. */
  persist(): void;
}

export interface View {
  readonly name: ViewName;
  readonly root: HTMLElement;
  /** Shown, or the document / section changed while shown: (re)load and draw. */
  activate(): void;
  /** Repaint with the current data (resize, theme change). */
  redraw(): void;
  /** The editor cursor selected a query token. */
  selectQuery(index: number): void;
  /** What PNG export captures; undefined when the view has no canvas. */
  exportCanvas(): HTMLCanvasElement | undefined;
  /** What JSON export contains; undefined for every layer and head. */
  jsonScope(): BlockScope | undefined;
}

/** Max over a row, to scale weights for editor shading to 0..1. out: [keys] */
export function scaledRow(values: ArrayLike<number>): number[] {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  return Array.from(values, (v) => (max > 0 ? v / max : 0));
}
