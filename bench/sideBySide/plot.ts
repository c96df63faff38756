// `npm run bench -- --plot`: bench/results/latest.svg from the side-by-side rows of a report —
// decode ms/token against context length for each system on the headline model, and the keystroke
// latency percentiles of the replay. Plain SVG, no plotting library.
import type { BenchRow } from '../types';

const WIDTH = 980;
const HEIGHT = 420;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

interface Series {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** Series of `decode_ms_per_token_at_N` rows of one model, one per system, sorted by N. */
export function decodeSeries(rows: readonly BenchRow[], model: string): Series[] {
  const bySystem = new Map<string, { x: number; y: number }[]>();
  for (const row of rows) {
    const at = /^decode_ms_per_token_at_(\d+)$/.exec(row.metric);
    if (row.model !== model || !at) continue;
    bySystem.set(row.system, [...(bySystem.get(row.system) ?? []), { x: Number(at[1]), y: row.value }]);
  }
  return [...bySystem].map(([name, points]) => ({ name, points: points.sort((a, b) => a.x - b.x) }));
}

/** The replay's percentiles per system: [system, p50, p95] of all keystrokes. */
export function latencyBars(rows: readonly BenchRow[], model: string): [string, number, number][] {
  const systems = [...new Set(rows.filter((r) => r.model === model && r.metric === 'keystroke_latency_all_p50').map((r) => r.system))];
  const value = (system: string, metric: string) => rows.find((r) => r.model === model && r.system === system && r.metric === metric)?.value ?? Number.NaN;
  return systems.map((s) => [s, value(s, 'keystroke_latency_all_p50'), value(s, 'keystroke_latency_all_p95')]);
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Four or five round ticks from 0 to at least `max`. */
function ticks(max: number): number[] {
  const raw = max / 4;
  const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.ceil(max / step) + 1 }, (_, k) => k * step);
}

export function plotSvg(rows: readonly BenchRow[], model: string, machine: string): string {
  const parts: string[] = [];
  const series = decodeSeries(rows, model);
  // Left: decode ms/token against context.
  const box = { x: 70, y: 50, w: 520, h: 300 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const xMax = Math.max(1, ...xs);
  const yTicks = ticks(Math.max(1e-3, ...ys));
  const yMax = yTicks[yTicks.length - 1] as number;
  const px = (x: number) => box.x + (x / xMax) * box.w;
  const py = (y: number) => box.y + box.h - (y / yMax) * box.h;
  parts.push(`<text x="${box.x}" y="30" font-size="15" font-weight="bold">Decode ms/token against context (${escape(model)}, 1 thread)</text>`);
  parts.push(`<rect x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" fill="none" stroke="#999"/>`);
  for (const t of yTicks) parts.push(`<line x1="${box.x - 4}" x2="${box.x + box.w}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${box.x - 8}" y="${py(t) + 4}" font-size="11" text-anchor="end">${fmt(t)}</text>`);
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) parts.push(`<text x="${px(x)}" y="${box.y + box.h + 16}" font-size="11" text-anchor="middle">${x}</text>`);
  parts.push(`<text x="${box.x + box.w / 2}" y="${box.y + box.h + 34}" font-size="12" text-anchor="middle">context tokens</text>`);
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const path = s.points.filter((p) => Number.isFinite(p.y)).map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of s.points) if (Number.isFinite(p.y)) parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${box.x + 10}" y="${box.y + 10 + k * 16}" width="10" height="10" fill="${color}"/><text x="${box.x + 26}" y="${box.y + 19 + k * 16}" font-size="11">${escape(s.name)}</text>`);
  });
  // Right: keystroke latency p50 and p95.
  const bars = latencyBars(rows, model);
  const right = { x: 680, y: 50, w: 260, h: 300 };
  const bTicks = ticks(Math.max(1e-3, ...bars.flatMap(([, a, b]) => [a, b]).filter(Number.isFinite)));
  const bMax = bTicks[bTicks.length - 1] as number;
  const by = (v: number) => right.y + right.h - (v / bMax) * right.h;
  parts.push(`<text x="${right.x - 40}" y="30" font-size="15" font-weight="bold">Keystroke → suggestion (ms)</text>`);
  parts.push(`<rect x="${right.x}" y="${right.y}" width="${right.w}" height="${right.h}" fill="none" stroke="#999"/>`);
  for (const t of bTicks) parts.push(`<line x1="${right.x - 4}" x2="${right.x + right.w}" y1="${by(t)}" y2="${by(t)}" stroke="#eee"/><text x="${right.x - 8}" y="${by(t) + 4}" font-size="11" text-anchor="end">${fmt(t)}</text>`);
  const slot = right.w / Math.max(1, bars.length);
  bars.forEach(([system, p50, p95], k) => {
    const x = right.x + k * slot + slot * 0.15;
    const w = slot * 0.33;
    for (const [i, value, label] of [[0, p50, 'p50'], [1, p95, 'p95']] as const) {
      if (!Number.isFinite(value)) continue;
      parts.push(`<rect x="${(x + i * w).toFixed(1)}" y="${by(value).toFixed(1)}" width="${(w - 2).toFixed(1)}" height="${(right.y + right.h - by(value)).toFixed(1)}" fill="${COLORS[k % COLORS.length]}" opacity="${i === 0 ? 1 : 0.55}"/>`);
      parts.push(`<text x="${(x + i * w + w / 2).toFixed(1)}" y="${(by(value) - 4).toFixed(1)}" font-size="10" text-anchor="middle">${label} ${fmt(value)}</text>`);
    }
    parts.push(`<text x="${(x + w).toFixed(1)}" y="${right.y + right.h + 16}" font-size="10" text-anchor="middle">${escape(system)}</text>`);
  });
  parts.push(`<text x="${box.x}" y="${HEIGHT - 12}" font-size="11" fill="#555">${escape(machine)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>\n`;
}
