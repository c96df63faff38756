// Where a suggestion ends. Pure: no vscode. Applied to the streamed text after every token (to
// stop the generation as soon as the rule is met) and to the final text.
//  - single line (default): up to the first line break;
//  - multi-line: stops before a blank line, before a line indented less than the cursor's line
//    (a dedent), and after a line at the cursor's indentation that closes the block the suggestion
//    opened (e.g. "}" after "if (x) {").

export interface LineRuleOptions {
  readonly multiline: boolean;
  /** Indentation width of the cursor's line. */
  readonly baseIndent: number;
  readonly tabSize: number;
}

export interface Shaped {
  /** The suggestion so far, with '\n' line breaks. */
  readonly text: string;
  /** The rule has ended the suggestion: no further token can change `text`. */
  readonly complete: boolean;
}

/**
 * @param finished the generation has ended, so the last line is whole (a streamed last line may
 *   still grow: it cannot yet be called blank, and a closing line may still get its ";").
 */
export function applyLineRules(raw: string, options: LineRuleOptions, finished: boolean): Shaped {
  // A lone '\r' is a line break too (old Mac files; VS Code would split the line there).
  const lines = raw.split(/\r\n|\r|\n/);
  if (!options.multiline) return { text: lines[0] ?? '', complete: lines.length > 1 };

  let depth = bracketDelta(lines[0] ?? '');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const whole = i < lines.length - 1 || finished;
    const content = line.trimStart();
    if (content.length === 0) {
      // A blank line ends the suggestion; a streamed last line of only spaces is undecided.
      if (whole) return { text: lines.slice(0, i).join('\n'), complete: true };
      continue;
    }
    const indent = indentWidthOf(line, options.tabSize);
    if (indent < options.baseIndent) return { text: lines.slice(0, i).join('\n'), complete: true };
    depth += bracketDelta(line);
    if (indent === options.baseIndent && isCloser(content) && depth <= 0) {
      // The block the suggestion opened is closed: keep this line, once it is whole.
      if (whole) return { text: lines.slice(0, i + 1).join('\n'), complete: true };
      return { text: lines.join('\n'), complete: false };
    }
  }
  return { text: lines.join('\n'), complete: false };
}

function isCloser(content: string): boolean {
  return content.startsWith('}') || content.startsWith(')') || content.startsWith(']');
}

function indentWidthOf(line: string, tabSize: number): number {
  let width = 0;
  for (const ch of line) {
    if (ch === ' ') width += 1;
    else if (ch === '\t') width += tabSize - (width % tabSize);
    else break;
  }
  return width;
}

/** Openers minus closers, skipping quoted strings and line comments on the line (a heuristic). */
export function bracketDelta(line: string): number {
  let delta = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if (ch === '/' && line[i + 1] === '/') break;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) break;
    else if (ch === '(' || ch === '[' || ch === '{') delta++;
    else if (ch === ')' || ch === ']' || ch === '}') delta--;
  }
  return delta;
}

/**
 * Removes `heal` (the spaces left out of the prompt) from the start of the generated text.
 * 'pending': the text is still a prefix of `heal`; undefined: the text does not start with it, so
 * the suggestion does not fit the cursor.
 */
export function removeHeal(text: string, heal: string): string | 'pending' | undefined {
  if (heal.length === 0) return text;
  if (text.startsWith(heal)) return text.slice(heal.length);
  if (heal.startsWith(text)) return 'pending';
  return undefined;
}
