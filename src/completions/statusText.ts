// What the status bar item says, as a pure function of the completion state (unit-tested; the
// vscode side in src/statusBar.ts only copies it onto a StatusBarItem).
import type { ModelState } from '../models/types';
import type { GenerationStats } from './service';

export type StatusKind = 'disabled' | 'idle' | 'loading' | 'ready' | 'generating' | 'error';

export interface StatusInput {
  readonly enabled: boolean;
  readonly model: ModelState;
  readonly generating: boolean;
  readonly stats?: GenerationStats;
  /** The last generation failed with this message (cleared by the next success). */
  readonly generationError?: string;
}

export interface StatusView {
  readonly kind: StatusKind;
  /** Status bar text with codicons. */
  readonly text: string;
  /** Markdown tooltip. */
  readonly tooltip: string;
}

const ICONS: Readonly<Record<StatusKind, string>> = {
  disabled: '$(circle-slash)',
  idle: '$(sparkle)',
  loading: '$(loading~spin)',
  ready: '$(sparkle)',
  generating: '$(sync~spin)',
  error: '$(error)',
};

export function statusView(input: StatusInput): StatusView {
  const kind = kindOf(input);
  const parts = [`${ICONS[kind]} Tealeaf`];
  if (input.model.status === 'ready' && input.enabled) {
    parts.push(input.model.info.backend);
    if (input.stats) {
      parts.push(`${formatMs(input.stats.latencyMs)}`);
      if (input.stats.tokensPerSecond !== undefined) parts.push(`${Math.round(input.stats.tokensPerSecond)} tok/s`);
    }
  }
  return { kind, text: parts.join(' · '), tooltip: tooltipOf(kind, input) };
}

function kindOf(input: StatusInput): StatusKind {
  if (!input.enabled) return 'disabled';
  if (input.model.status === 'error' || input.generationError !== undefined) return 'error';
  if (input.model.status === 'loading') return 'loading';
  if (input.model.status === 'idle') return 'idle';
  return input.generating ? 'generating' : 'ready';
}

function tooltipOf(kind: StatusKind, input: StatusInput): string {
  const lines = [`**Tealeaf inline completions**: ${input.enabled ? 'on' : 'off'}`];
  const model = input.model;
  switch (model.status) {
    case 'idle':
      lines.push('Model: loads with the first completion');
      break;
    case 'loading':
      lines.push(`Model: loading ${escapeMarkdown(model.modelDir)}…`);
      break;
    case 'ready':
      lines.push(
        `Model: ${escapeMarkdown(model.info.name)} (${model.info.modelType}, ${model.info.layers} layers, ${model.info.backend}${model.info.fim ? ', fill-in-the-middle' : ''})`,
        `File: ${escapeMarkdown(model.info.onnxFiles.join(' + '))} (${model.info.dtype}): ${escapeMarkdown(model.info.dtypeReason)}`,
        ...(model.info.backendReason ? [`Backend: ${model.info.backend}: ${escapeMarkdown(model.info.backendReason)}`] : []),
      );
      break;
    case 'error':
      lines.push(`Model error: ${escapeMarkdown(model.message)}`);
      break;
  }
  if (input.generationError !== undefined) lines.push(`Last completion failed: ${escapeMarkdown(input.generationError)}`);
  const stats = input.stats;
  if (stats) {
    const speed = stats.tokensPerSecond !== undefined ? `, ${Math.round(stats.tokensPerSecond)} tokens/s` : '';
    const prefill =
      stats.prefillMs !== undefined && stats.reusedTokens !== undefined
        ? `, prefill ${formatMs(stats.prefillMs)} for ${stats.promptTokens - stats.reusedTokens} new of ${stats.promptTokens} prompt tokens`
        : `, ${stats.promptTokens} prompt tokens`;
    lines.push(
      `Last suggestion: ${formatMs(stats.latencyMs)} (debounce ${stats.debounceMs} ms${prefill}), ${stats.generatedTokens} tokens${speed}`,
    );
  }
  if (kind === 'generating') lines.push('Generating…');
  lines.push('Click for the menu');
  return lines.join('\n\n');
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Model paths and messages may hold Markdown syntax; show them literally. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (ch) => `\\${ch}`);
}
