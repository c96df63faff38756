// The model view (every layer × head as a small heatmap, with labels and head-statistics badges) as
// a standalone SVG string, for `tealeaf attention --svg FILE` and for documents. Pure: no vscode,
// no DOM, no fs.
import type { AttentionResult, HeadLabel, HeadStats } from '../engine/types';
import { headMatrix } from '../engine/attention';
import { meanPool } from '../engine/pool';

/** Cells per side of each head's heatmap in the SVG (mean-pooled; fewer rects than the webview). */
export const SVG_THUMBNAIL_SIZE = 24;
/** Opacity levels: cells that round to the same level merge into one rect along a row. */
export const SVG_LEVELS = 32;

const CELL = 96; // px per head heatmap
const GAP = 10;
const LEFT = 44; // layer labels
const TOP = 64; // title + head labels
const BADGE = 16; // label under each heatmap
const HEAT = '#d9480f';
const FRAME = '#adb5bd';
const TEXT = '#212529';

/** Short badge text and colour of every head label (shared with the legend). */
export const LABEL_BADGES: Readonly<Record<HeadLabel, { readonly text: string; readonly colour: string }>> = {
  'previous-token': { text: 'prev', colour: '#1971c2' },
  local: { text: 'local', colour: '#2f9e44' },
  'long-range': { text: 'long', colour: '#9c36b5' },
  sink: { text: 'sink', colour: '#868e96' },
  broad: { text: 'broad', colour: '#e8590c' },
};

export interface SvgOptions {
  /** Title line; defaults to the token count and model shape. */
  readonly title?: string;
}

/**
 * Renders result.attention (all rows; any subset of layers × heads) as a grid: rows are layers,
 * columns heads. Each heatmap is the mean-pooled attention with every row scaled to its maximum
 * (so the pattern of late, spread-out rows stays visible), drawn as merged rects.
 */
export function renderModelViewSvg(result: AttentionResult, options: SvgOptions = {}): string {
  const { layers, heads, rows, keys } = result.attention;
  const cols = heads.length;
  const width = LEFT + cols * (CELL + GAP) + GAP;
  const height = TOP + layers.length * (CELL + BADGE + GAP) + GAP + 24;
  const statsByHead = new Map<string, HeadStats>(result.stats.map((s) => [`${s.layer}:${s.head}`, s]));
  const title =
    options.title ??
    `Tealeaf attention: ${result.tokens.length} tokens, ${result.totalLayers} layers × ${result.totalHeads} heads` +
      (result.truncatedTokens > 0 ? ` (first ${result.truncatedTokens} tokens cut)` : '');
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="${GAP}" y="20" font-size="14" fill="${TEXT}">${escapeXml(title)}</text>`);
  heads.forEach((h, hi) => {
    const x = LEFT + hi * (CELL + GAP) + CELL / 2;
    out.push(`<text x="${x}" y="${TOP - 8}" text-anchor="middle" fill="${TEXT}">H${h}</text>`);
  });
  layers.forEach((l, li) => {
    const y0 = TOP + li * (CELL + BADGE + GAP);
    out.push(`<text x="${LEFT - 8}" y="${y0 + CELL / 2 + 4}" text-anchor="end" fill="${TEXT}">L${l}</text>`);
    heads.forEach((h, hi) => {
      const x0 = LEFT + hi * (CELL + GAP);
      const stats = statsByHead.get(`${l}:${h}`);
      out.push(`<g transform="translate(${x0},${y0})">`);
      out.push(`<title>${escapeXml(headTooltip(l, h, stats))}</title>`);
      const pooled = meanPool(headMatrix(result.attention, li, hi), 0, rows.length, keys, SVG_THUMBNAIL_SIZE); // [rows, keys] pooled
      out.push(heatmapRects(pooled.data, pooled.rows, pooled.keys));
      out.push(`<rect width="${CELL}" height="${CELL}" fill="none" stroke="${FRAME}"/>`);
      if (stats) {
        const badge = LABEL_BADGES[stats.label];
        out.push(`<rect y="${CELL + 2}" width="${CELL}" height="${BADGE - 4}" rx="3" fill="${badge.colour}"/>`);
        out.push(
          `<text x="${CELL / 2}" y="${CELL + BADGE - 5}" text-anchor="middle" font-size="9" fill="#ffffff">` +
            `${badge.text} · H ${stats.entropy.toFixed(2)}</text>`,
        );
      }
      out.push('</g>');
    });
  });
  // legend
  let lx = GAP;
  const ly = height - 10;
  for (const [label, badge] of Object.entries(LABEL_BADGES)) {
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${badge.colour}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly}" fill="${TEXT}">${escapeXml(label)}</text>`);
    lx += 24 + label.length * 6.5;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * One heatmap's rects: every row scaled to its maximum, quantized to SVG_LEVELS opacity levels,
 * equal neighbours along a row merged, empty cells skipped.
 * pooled: [rows, keys]
 */
export function heatmapRects(pooled: Float32Array, rows: number, keys: number): string {
  const cw = CELL / keys;
  const ch = CELL / rows;
  const parts: string[] = [];
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let k = 0; k < keys; k++) max = Math.max(max, pooled[r * keys + k]!);
    if (max <= 0) continue;
    let k = 0;
    while (k < keys) {
      const level = Math.round((pooled[r * keys + k]! / max) * SVG_LEVELS);
      let end = k + 1;
      while (end < keys && Math.round((pooled[r * keys + end]! / max) * SVG_LEVELS) === level) end++;
      if (level > 0) {
        parts.push(
          `<rect x="${fmt(k * cw)}" y="${fmt(r * ch)}" width="${fmt((end - k) * cw)}" height="${fmt(ch)}" ` +
            `fill="${HEAT}" fill-opacity="${fmt(level / SVG_LEVELS)}"/>`,
        );
      }
      k = end;
    }
  }
  return parts.join('');
}

function headTooltip(layer: number, head: number, s: HeadStats | undefined): string {
  if (!s) return `layer ${layer}, head ${head}`;
  return (
    `layer ${layer}, head ${head}: ${s.label}; entropy ${s.entropy.toFixed(3)} nats, ` +
    `mean distance ${s.meanDistance.toFixed(2)}, previous ${s.previousToken.toFixed(3)}, ` +
    `first ${s.firstToken.toFixed(3)}, self ${s.selfToken.toFixed(3)}`
  );
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

export function escapeXml(text: string): string {
  // Control characters other than tab/newline are not allowed in XML 1.0 at all: drop them.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
