// The VS Code theme as the canvases need it: colours read from the CSS variables VS Code sets on
// the page, and colour tables built from them. Re-read when the theme changes (body class).
import { headColour, heatLut, isDark, parseColour, type Rgb } from './colour';

export interface Theme {
  readonly kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  readonly background: Rgb;
  readonly foreground: Rgb;
  readonly muted: Rgb;
  readonly heat: Rgb;
  readonly focus: Rgb;
  readonly border: Rgb;
  /** Probability → colour, sqrt gamma so small weights stay visible: [256, 4] */
  readonly lutAbsolute: Uint8ClampedArray;
  /** Row-normalised byte → colour: [256, 4] */
  readonly lutRows: Uint8ClampedArray;
  readonly font: string;
  readonly monoFont: string;
  readonly highContrast: boolean;
  headColour(i: number, n: number): Rgb;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): Rgb {
  return parseColour(style.getPropertyValue(name)) ?? parseColour(fallback) ?? [128, 128, 128];
}

export function readTheme(): Theme {
  const body = document.body;
  const style = getComputedStyle(body);
  const hc = body.classList.contains('vscode-high-contrast') || body.classList.contains('vscode-high-contrast-light');
  const kind: Theme['kind'] = body.classList.contains('vscode-high-contrast-light')
    ? 'high-contrast-light'
    : hc
      ? 'high-contrast'
      : body.classList.contains('vscode-light')
        ? 'light'
        : 'dark';
  const background = cssVar(style, '--vscode-editor-background', kind === 'light' ? '#ffffff' : '#1e1e1e');
  const foreground = cssVar(style, '--vscode-editor-foreground', isDark(background) ? '#d4d4d4' : '#1f1f1f');
  // High contrast: the heat runs to the foreground itself, the strongest contrast the theme has.
  const heat = hc ? foreground : cssVar(style, '--vscode-charts-orange', '#d18616');
  const family = style.getPropertyValue('--vscode-font-family').trim() || 'system-ui, sans-serif';
  const mono = style.getPropertyValue('--vscode-editor-font-family').trim() || 'monospace';
  return {
    kind,
    background,
    foreground,
    muted: cssVar(style, '--vscode-descriptionForeground', isDark(background) ? '#9d9d9d' : '#717171'),
    heat,
    focus: cssVar(style, '--vscode-focusBorder', '#007fd4'),
    border: cssVar(style, '--vscode-panel-border', isDark(background) ? '#3c3c3c' : '#d4d4d4'),
    lutAbsolute: heatLut(background, heat, 0.5),
    lutRows: heatLut(background, heat, 0.8),
    font: family,
    monoFont: mono,
    highContrast: hc,
    headColour: (i, n) => headColour(i, n, background),
  };
}

/** Calls back when VS Code switches the theme (it rewrites the body's class and style). */
export function watchTheme(onChange: () => void): void {
  new MutationObserver(onChange).observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
}
