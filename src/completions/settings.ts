// The `tealeaf.completion.*` settings as one validated value. Pure: no vscode; the adapter passes a
// reader over the VS Code configuration. Defaults and ranges here match package.json.
import type { Speculation } from '../engine/types';

export interface CompletionSettings {
  readonly enabled: boolean;
  /** Model folder for completions; '' means the bundled default code model. */
  readonly model: string;
  readonly debounceMs: number;
  /** Token budget for the text before the cursor. */
  readonly contextTokens: number;
  /** Most tokens generated for one suggestion. */
  readonly maxTokens: number;
  readonly multiline: boolean;
  /** Fill-in-the-middle: `auto` sends the text after the cursor to models with FIM tokens. */
  readonly fim: 'auto' | 'off';
  /** Language id → enabled; '*' is the default for languages not listed. */
  readonly languages: Readonly<Record<string, boolean>>;
  /** Speculative decoding: same suggestions, fewer forward passes. */
  readonly speculation: Speculation;
  /** Folder of the draft model for `draft-model` (same tokenizer as the completion model); '' is none. */
  readonly draftModel: string;
}

export const SETTINGS_SECTION = 'tealeaf.completion';

export const DEFAULT_SETTINGS: CompletionSettings = {
  enabled: true,
  model: '',
  debounceMs: 75,
  contextTokens: 1024,
  maxTokens: 48,
  multiline: false,
  fim: 'auto',
  languages: { '*': true, plaintext: false, markdown: false },
  speculation: 'prompt-lookup',
  draftModel: '',
};

const SPECULATIONS: readonly Speculation[] = ['off', 'prompt-lookup', 'draft-model'];

export const LIMITS = {
  debounceMs: { min: 0, max: 2000 },
  contextTokens: { min: 32, max: 8192 },
  maxTokens: { min: 1, max: 512 },
} as const;

/** Reads one setting by its name under `tealeaf.completion` (e.g. 'debounceMs'). */
export type SettingReader = (name: keyof CompletionSettings) => unknown;

export function readCompletionSettings(read: SettingReader): CompletionSettings {
  return {
    enabled: bool(read('enabled'), DEFAULT_SETTINGS.enabled),
    model: typeof read('model') === 'string' ? (read('model') as string).trim() : DEFAULT_SETTINGS.model,
    debounceMs: int(read('debounceMs'), DEFAULT_SETTINGS.debounceMs, LIMITS.debounceMs),
    contextTokens: int(read('contextTokens'), DEFAULT_SETTINGS.contextTokens, LIMITS.contextTokens),
    maxTokens: int(read('maxTokens'), DEFAULT_SETTINGS.maxTokens, LIMITS.maxTokens),
    multiline: bool(read('multiline'), DEFAULT_SETTINGS.multiline),
    fim: read('fim') === 'off' ? 'off' : DEFAULT_SETTINGS.fim,
    languages: languages(read('languages')),
    speculation: SPECULATIONS.find((s) => s === read('speculation')) ?? DEFAULT_SETTINGS.speculation,
    draftModel: typeof read('draftModel') === 'string' ? (read('draftModel') as string).trim() : DEFAULT_SETTINGS.draftModel,
  };
}

/** An explicit entry for the language wins; otherwise '*'; otherwise enabled. */
export function isLanguageEnabled(languages: Readonly<Record<string, boolean>>, languageId: string): boolean {
  if (Object.prototype.hasOwnProperty.call(languages, languageId)) return languages[languageId] === true;
  if (Object.prototype.hasOwnProperty.call(languages, '*')) return languages['*'] === true;
  return true;
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function int(value: unknown, fallback: number, range: { readonly min: number; readonly max: number }): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(range.max, Math.max(range.min, Math.round(value)));
}

function languages(value: unknown): Readonly<Record<string, boolean>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return DEFAULT_SETTINGS.languages;
  const out: Record<string, boolean> = {};
  for (const [id, enabled] of Object.entries(value)) {
    if (typeof enabled === 'boolean') out[id] = enabled;
  }
  return out;
}
