// Builds the prompt for one suggestion: the text before the cursor up to a token budget, cut at a
// line boundary; what follows the cursor (FIM suffix, or stop strings when the model has no FIM).
// Pure: no vscode. The start of the prompt is sticky so consecutive keystrokes share a token
// prefix, which is what lets the engine's KV prefix reuse prefill only the newly typed tokens.

export interface ContextInput {
  /** Identifies the document (its URI); the sticky start is per document. */
  readonly documentKey: string;
  /** Offset in the document where `before` starts: 0 or the start of a line. */
  readonly windowStart: number;
  /** Text from `windowStart` to the cursor. */
  readonly before: string;
  /** Text from the cursor onwards (a window of it). */
  readonly after: string;
}

export interface ContextOptions {
  /** Token budget for the prompt (the text before the cursor). */
  readonly contextTokens: number;
  /** Token budget for the FIM suffix; 0 or absent: no FIM (the model declares no FIM tokens). */
  readonly suffixTokens?: number;
  readonly multiline: boolean;
  readonly tabSize?: number;
}

export interface BuiltContext {
  /** Sent to the engine: the text before the cursor from `promptStart`, without `heal`. */
  readonly prompt: string;
  /** Document offset where the prompt starts (a line start unless one line exceeds the budget). */
  readonly promptStart: number;
  /** Tokens of the prompt as counted when it was cut. */
  readonly promptTokens: number;
  /**
   * Spaces/tabs at the end of the text before the cursor, left out of the prompt: byte-level BPE
   * glues a space to the following word (" return"), so a prompt ending in a bare space asks the
   * model for a token sequence it has rarely seen. A suggestion must start with `heal`, which is
   * then removed from it.
   */
  readonly heal: string;
  /** FIM suffix, when the model supports it. */
  readonly suffix?: string;
  /** Rest of the cursor's line after the cursor (without the line break). */
  readonly lineSuffix: string;
  /** The next lines after the cursor's line (line breaks and '\r' removed). */
  readonly followingLines: readonly string[];
  /** Indentation width of the cursor's line. */
  readonly baseIndent: number;
  readonly tabSize: number;
  readonly stop: readonly string[];
}

/** Token offsets are all the builder needs from a tokenizer (engine.tokenize returns TokenSpan). */
export type Tokenize = (text: string) => Promise<readonly { readonly start: number }[]>;

/** When the budget overflows, cut to this share of it so the start stays put for a while. */
const HYSTERESIS = 0.75;
/** A sticky start that leaves less than this share of the budget is given up for more context. */
const MIN_STICKY_SHARE = 0.5;
const FOLLOWING_LINES = 8;
/** Upper bound on characters per token, to bound what is tokenized for the suffix. */
const MAX_CHARS_PER_TOKEN = 16;

export class ContextBuilder {
  private sticky: { readonly documentKey: string; readonly start: number } | undefined;

  /** Forget the sticky start (model change: the engine's cache is gone anyway). */
  reset(): void {
    this.sticky = undefined;
  }

  async build(input: ContextInput, options: ContextOptions, tokenize: Tokenize): Promise<BuiltContext> {
    const tabSize = options.tabSize ?? 4;
    const budget = Math.max(1, Math.floor(options.contextTokens));
    const cursor = input.windowStart + input.before.length;

    let start = this.stickyStart(input, cursor);
    let text = input.before.slice(start - input.windowStart);
    let spans = await tokenize(text);
    if (start > input.windowStart && spans.length < budget * MIN_STICKY_SHARE) {
      // The cursor jumped near the old start: more context is available before it.
      start = input.windowStart;
      text = input.before;
      spans = await tokenize(text);
    }
    let promptTokens = spans.length;
    if (spans.length > budget) {
      const cut = cutPoint(text, spans, Math.max(1, Math.floor(budget * HYSTERESIS)));
      start += cut;
      text = text.slice(cut);
      promptTokens = countFrom(spans, cut);
    }
    this.sticky = { documentKey: input.documentKey, start };

    const heal = /[ \t]+$/.exec(text.slice(text.lastIndexOf('\n') + 1))?.[0] ?? '';
    const prompt = text.slice(0, text.length - heal.length);

    const lineStart = input.before.lastIndexOf('\n') + 1;
    const indent = /^[ \t]*/.exec(input.before.slice(lineStart))?.[0] ?? '';
    const [lineSuffix = '', ...rest] = input.after.split('\n').map(stripCr);
    const followingLines = rest.slice(0, FOLLOWING_LINES);
    const suffix =
      options.suffixTokens && options.suffixTokens > 0
        ? await cutSuffix(input.after, options.suffixTokens, tokenize)
        : undefined;

    return {
      prompt,
      promptStart: start,
      promptTokens,
      heal,
      ...(suffix !== undefined ? { suffix } : {}),
      lineSuffix,
      followingLines,
      baseIndent: indentWidth(indent, tabSize),
      tabSize,
      stop: stopStrings(options.multiline, suffix !== undefined, lineSuffix, followingLines),
    };
  }

  /** The previous start if it is still a line start inside the window, else the window start. */
  private stickyStart(input: ContextInput, cursor: number): number {
    const sticky = this.sticky;
    if (!sticky || sticky.documentKey !== input.documentKey) return input.windowStart;
    const s = sticky.start;
    if (s < input.windowStart || s > cursor) return input.windowStart;
    const local = s - input.windowStart;
    if (local === 0 || input.before[local - 1] === '\n') return s;
    return input.windowStart;
  }
}

/**
 * Where to cut `text` so that at most `keep` tokens remain: the first line start at or after the
 * token that leaves `keep` tokens, or that token's start when no line starts after it.
 */
export function cutPoint(text: string, spans: readonly { readonly start: number }[], keep: number): number {
  if (spans.length <= keep) return 0;
  const tokenCut = spans[spans.length - keep]!.start;
  if (tokenCut === 0 || text[tokenCut - 1] === '\n') return tokenCut;
  const newline = text.indexOf('\n', tokenCut);
  return newline === -1 ? tokenCut : newline + 1;
}

/** Stop strings: single line stops at the line break; multi-line at a blank line and, without FIM,
 * before repeating the line that follows the cursor or the rest of the cursor's line. */
export function stopStrings(
  multiline: boolean,
  fim: boolean,
  lineSuffix: string,
  followingLines: readonly string[],
): string[] {
  const stop = multiline ? ['\n\n', '\n\r\n'] : ['\n'];
  if (fim) return stop;
  const rest = lineSuffix.trim();
  // Short remainders such as ")" are too common to stop on; cleanup strips them from the end instead.
  if (rest.length >= 3) stop.push(rest);
  const next = followingLines.find((line) => line.trim().length > 0);
  if (multiline && next !== undefined) stop.push('\n' + next);
  return stop;
}

export function indentWidth(indent: string, tabSize: number): number {
  let width = 0;
  for (const ch of indent) width += ch === '\t' ? tabSize - (width % tabSize) : 1;
  return width;
}

async function cutSuffix(after: string, budget: number, tokenize: Tokenize): Promise<string> {
  const window = after.slice(0, budget * MAX_CHARS_PER_TOKEN);
  const spans = await tokenize(window);
  if (spans.length <= budget) return window;
  const tokenCut = spans[budget]!.start;
  // Keep whole lines: cut after the last line break before the token limit, if there is one.
  const lastBreak = window.lastIndexOf('\n', tokenCut - 1);
  return lastBreak > 0 ? window.slice(0, lastBreak + 1) : window.slice(0, tokenCut);
}

function countFrom(spans: readonly { readonly start: number }[], offset: number): number {
  let n = 0;
  for (const span of spans) if (span.start >= offset) n++;
  return n;
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
