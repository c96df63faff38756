// Typed messages between the extension host (src/inspector) and the attention inspector webview
// (webview/inspector). Both sides validate what they receive with the guards below and dispatch with
// an exhaustive switch. Pure TypeScript: no vscode, no DOM.
import type { QuantizedMatrices } from '../engine/quantize';
import type { HeadLabel, HeadStats } from '../engine/types';
import { isRecord } from '../util/unknown';

export type { QuantizedMatrices };

/** A token as the webview shows it; start/end are UTF-16 offsets into the section's text. */
export interface TokenLabel {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** A section's column labels (its query tokens when the document left them out). */
export function keyTokensOf(section: Pick<SectionSummary, 'queryTokens' | 'keyTokens'>): readonly TokenLabel[] {
  return section.keyTokens ?? section.queryTokens;
}

export type SectionKind = 'self' | 'encoder' | 'decoder' | 'cross' | 'generation';

/** One attention tensor the webview can show (a tab when a document has several). */
export interface SectionSummary {
  readonly id: string;
  readonly kind: SectionKind;
  readonly title: string;
  /** Row labels of every matrix in this section. */
  readonly queryTokens: readonly TokenLabel[];
  /** Column labels. Equal to queryTokens for self-attention. */
  /** Column labels; absent when they are the query tokens (self-attention): use keyTokensOf. */
  readonly keyTokens?: readonly TokenLabel[];
  /** Layer and head indices present (the model's numbering). */
  readonly layers: readonly number[];
  readonly heads: readonly number[];
  readonly totalLayers: number;
  readonly totalHeads: number;
  /** One entry per (layer, head), in [layers, heads] order; empty while statsPending. */
  readonly stats: readonly HeadStats[];
  /** The statistics follow in a StatsMessage (computed after the first paint). */
  readonly statsPending: boolean;
  /**
   * Per-head thumbnails, mean-pooled to at most THUMBNAIL_SIZE² cells and quantized per row.
   * [layers × heads, thumbRows, thumbKeys]
   */
  readonly thumbnails: QuantizedMatrices;
  /** Rollout needs square self-attention over all rows. */
  readonly rollout: boolean;
  /** Tokens map to a range of an open editor (hover shading and cursor sync work). */
  readonly editorLinked: boolean;
}

export interface InspectorDocument {
  /** Increases with every document the host posts; replies name it so stale replies are dropped. */
  readonly docId: number;
  readonly title: string;
  readonly modelName: string;
  /** The model's facts in one line (architecture, parameters, attention, positions, file). */
  readonly modelFacts?: string;
  /** Shown as a visible banner, e.g. that a long selection was cut. */
  readonly notice?: string;
  readonly sections: readonly SectionSummary[];
  /** What to inspect again after a reload (undefined when it cannot be recomputed). */
  readonly source?: PersistedSource;
  readonly forwardMs: number;
}

/** A selection in a document, enough to recompute the attention after a window reload. */
export interface PersistedSource {
  readonly kind: 'selection';
  readonly uri: string;
  /** UTF-16 offsets of the selection in the document. */
  readonly start: number;
  readonly end: number;
}

export type Reduction = 'mean' | 'max' | 'rollout';

/** What a block request asks for. */
export type BlockScope =
  /** every head of one layer: [heads, rows, keys] */
  | { readonly kind: 'layer'; readonly layer: number }
  /** one head: [1, rows, keys] */
  | { readonly kind: 'head'; readonly layer: number; readonly head: number }
  /** mean/max over heads of one layer, or the rollout up to and including it: [1, rows, keys] */
  | { readonly kind: 'aggregate'; readonly reduction: Reduction; readonly layer: number };

export type ViewName = 'model' | 'heads' | 'matrix' | 'aggregate' | 'stats';

/** What the webview keeps with vscode.setState, handed back to the serializer after a reload. */
export interface PersistedState {
  readonly source?: PersistedSource;
  readonly view: ViewName;
  readonly sectionId?: string;
  readonly layer: number;
  readonly head: number;
}

// ---------------------------------------------------------------- host → webview

export interface DocumentMessage {
  readonly type: 'document';
  readonly doc: InspectorDocument;
}

export interface BlockMessage {
  readonly type: 'block';
  readonly requestId: number;
  readonly docId: number;
  readonly sectionId: string;
  readonly scope: BlockScope;
  /** layer scope: [heads, rows, keys]; head and aggregate scopes: [1, rows, keys] */
  readonly matrices: QuantizedMatrices;
}

export interface BlockErrorMessage {
  readonly type: 'blockError';
  readonly requestId: number;
  readonly docId: number;
  readonly message: string;
}

export interface StatusMessage {
  readonly type: 'status';
  readonly state: 'loading' | 'error' | 'empty';
  readonly message: string;
}

/** The editor cursor moved onto a token: select it as the query in the panel. */
export interface SelectTokenMessage {
  readonly type: 'selectToken';
  readonly docId: number;
  readonly sectionId: string;
  readonly index: number;
}

/** A section's head statistics, which follow its document (DocumentMessage has statsPending). */
export interface StatsMessage {
  readonly type: 'stats';
  readonly docId: number;
  readonly sectionId: string;
  /** One entry per (layer, head), in [layers, heads] order. */
  readonly stats: readonly HeadStats[];
}

export type HostToWebview = DocumentMessage | BlockMessage | BlockErrorMessage | StatusMessage | SelectTokenMessage | StatsMessage;

// ---------------------------------------------------------------- webview → host

export interface ReadyMessage {
  readonly type: 'ready';
}

/** Posted once per document after its first frame is on screen (bench: command → first paint). */
export interface FirstPaintMessage {
  readonly type: 'firstPaint';
  readonly docId: number;
  /** Date.now() in the webview when the frame after drawing began. */
  readonly at: number;
}

export interface RequestBlockMessage {
  readonly type: 'requestBlock';
  readonly requestId: number;
  readonly docId: number;
  readonly sectionId: string;
  readonly scope: BlockScope;
}

/**
 * A query token is hovered (pin false) or clicked (pin true) in the panel: shade the editor by the
 * attention each key token receives from it. weights: [keys] in 0..1 (already scaled to the row's
 * maximum); query null clears the shading.
 */
export interface HighlightMessage {
  readonly type: 'highlight';
  readonly docId: number;
  readonly sectionId: string;
  readonly query: number | null;
  readonly weights: readonly number[] | null;
  readonly pin: boolean;
}

export interface ExportPngMessage {
  readonly type: 'exportPng';
  readonly fileName: string;
  /** data:image/png;base64,… from canvas.toDataURL */
  readonly dataUrl: string;
}

export interface ExportJsonMessage {
  readonly type: 'exportJson';
  readonly docId: number;
  readonly sectionId: string;
  /** undefined: every layer and head of the section (large for long texts). */
  readonly scope?: BlockScope;
}

export type WebviewToHost =
  | ReadyMessage
  | FirstPaintMessage
  | RequestBlockMessage
  | HighlightMessage
  | ExportPngMessage
  | ExportJsonMessage;

// ---------------------------------------------------------------- guards

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);
const isNonNegInt = (value: unknown): value is number => isInt(value) && value >= 0;
const isString = (value: unknown): value is string => typeof value === 'string';
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

const VIEWS: ReadonlySet<string> = new Set<ViewName>(['model', 'heads', 'matrix', 'aggregate', 'stats']);
const REDUCTIONS: ReadonlySet<string> = new Set<Reduction>(['mean', 'max', 'rollout']);
const SECTION_KINDS: ReadonlySet<string> = new Set<SectionKind>(['self', 'encoder', 'decoder', 'cross', 'generation']);
const LABELS: ReadonlySet<string> = new Set<HeadLabel>(['previous-token', 'local', 'long-range', 'sink', 'broad']);

export function isBlockScope(value: unknown): value is BlockScope {
  if (!isRecord(value)) return false;
  switch (value.kind) {
    case 'layer':
      return isNonNegInt(value.layer);
    case 'head':
      return isNonNegInt(value.layer) && isNonNegInt(value.head);
    case 'aggregate':
      return isNonNegInt(value.layer) && isString(value.reduction) && REDUCTIONS.has(value.reduction);
    default:
      return false;
  }
}

export function isQuantizedMatrices(value: unknown): value is QuantizedMatrices {
  if (!isRecord(value)) return false;
  const { count, rows, keys, data, scales } = value;
  return (
    isNonNegInt(count) &&
    isNonNegInt(rows) &&
    isNonNegInt(keys) &&
    data instanceof Uint8Array &&
    scales instanceof Float32Array &&
    data.length === count * rows * keys &&
    scales.length === count * rows
  );
}

function isTokenLabel(value: unknown): value is TokenLabel {
  return isRecord(value) && isString(value.text) && isNonNegInt(value.start) && isNonNegInt(value.end);
}

function isHeadStats(value: unknown): value is HeadStats {
  return (
    isRecord(value) &&
    isNonNegInt(value.layer) &&
    isNonNegInt(value.head) &&
    isFiniteNumber(value.entropy) &&
    isFiniteNumber(value.meanDistance) &&
    isFiniteNumber(value.previousToken) &&
    isFiniteNumber(value.firstToken) &&
    isFiniteNumber(value.selfToken) &&
    isString(value.label) &&
    LABELS.has(value.label)
  );
}

const isIntArray = (value: unknown): value is number[] => Array.isArray(value) && value.every(isNonNegInt);

export function isSectionSummary(value: unknown): value is SectionSummary {
  if (!isRecord(value)) return false;
  const { layers, heads, stats, thumbnails, queryTokens, keyTokens } = value;
  return (
    isString(value.id) &&
    isString(value.kind) &&
    SECTION_KINDS.has(value.kind) &&
    isString(value.title) &&
    Array.isArray(queryTokens) &&
    queryTokens.every(isTokenLabel) &&
    (keyTokens === undefined || (Array.isArray(keyTokens) && keyTokens.every(isTokenLabel))) &&
    isIntArray(layers) &&
    isIntArray(heads) &&
    isNonNegInt(value.totalLayers) &&
    isNonNegInt(value.totalHeads) &&
    Array.isArray(stats) &&
    stats.every(isHeadStats) &&
    typeof value.statsPending === 'boolean' &&
    isQuantizedMatrices(thumbnails) &&
    thumbnails.count === layers.length * heads.length &&
    typeof value.rollout === 'boolean' &&
    typeof value.editorLinked === 'boolean'
  );
}

export function isPersistedSource(value: unknown): value is PersistedSource {
  return isRecord(value) && value.kind === 'selection' && isString(value.uri) && isNonNegInt(value.start) && isNonNegInt(value.end) && value.end >= value.start;
}

export function isInspectorDocument(value: unknown): value is InspectorDocument {
  return (
    isRecord(value) &&
    isNonNegInt(value.docId) &&
    isString(value.title) &&
    isString(value.modelName) &&
    (value.modelFacts === undefined || isString(value.modelFacts)) &&
    (value.notice === undefined || isString(value.notice)) &&
    Array.isArray(value.sections) &&
    value.sections.every(isSectionSummary) &&
    (value.source === undefined || isPersistedSource(value.source)) &&
    isFiniteNumber(value.forwardMs)
  );
}

export function isPersistedState(value: unknown): value is PersistedState {
  return (
    isRecord(value) &&
    isString(value.view) &&
    VIEWS.has(value.view) &&
    (value.source === undefined || isPersistedSource(value.source)) &&
    (value.sectionId === undefined || isString(value.sectionId)) &&
    isNonNegInt(value.layer) &&
    isNonNegInt(value.head)
  );
}

export function isHostToWebview(value: unknown): value is HostToWebview {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'document':
      return isInspectorDocument(value.doc);
    case 'block':
      return (
        isNonNegInt(value.requestId) &&
        isNonNegInt(value.docId) &&
        isString(value.sectionId) &&
        isBlockScope(value.scope) &&
        isQuantizedMatrices(value.matrices)
      );
    case 'blockError':
      return isNonNegInt(value.requestId) && isNonNegInt(value.docId) && isString(value.message);
    case 'status':
      return (value.state === 'loading' || value.state === 'error' || value.state === 'empty') && isString(value.message);
    case 'selectToken':
      return isNonNegInt(value.docId) && isString(value.sectionId) && isNonNegInt(value.index);
    case 'stats':
      return isNonNegInt(value.docId) && isString(value.sectionId) && Array.isArray(value.stats) && value.stats.every(isHeadStats);
    default:
      return false;
  }
}

/** Cap on what a webview may ask the host to write in one PNG export (a 8k × 8k canvas is ~30 MB). */
export const MAX_PNG_DATA_URL_LENGTH = 64 * 1024 * 1024;

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
      return true;
    case 'firstPaint':
      return isNonNegInt(value.docId) && isFiniteNumber(value.at);
    case 'requestBlock':
      return isNonNegInt(value.requestId) && isNonNegInt(value.docId) && isString(value.sectionId) && isBlockScope(value.scope);
    case 'highlight':
      return (
        isNonNegInt(value.docId) &&
        isString(value.sectionId) &&
        (value.query === null || isNonNegInt(value.query)) &&
        (value.weights === null || (Array.isArray(value.weights) && value.weights.every(isFiniteNumber))) &&
        typeof value.pin === 'boolean'
      );
    case 'exportPng':
      return (
        isString(value.fileName) &&
        isString(value.dataUrl) &&
        value.dataUrl.startsWith('data:image/png;base64,') &&
        value.dataUrl.length <= MAX_PNG_DATA_URL_LENGTH
      );
    case 'exportJson':
      return isNonNegInt(value.docId) && isString(value.sectionId) && (value.scope === undefined || isBlockScope(value.scope));
    default:
      return false;
  }
}

/** For the `default` branch of an exhaustive switch: a new message type fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(value)}`);
}

/** p ≈ data · scale / 255 for one cell (see QuantizedMatrices). */
export function dequantizeCell(m: QuantizedMatrices, matrix: number, row: number, key: number): number {
  const r = matrix * m.rows + row;
  return (m.data[r * m.keys + key]! * m.scales[r]!) / 255;
}
