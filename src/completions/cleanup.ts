// Final tidying of a suggestion before it is shown. Pure: no vscode.

export interface CleanupContext {
  /** Rest of the cursor's line after the cursor. */
  readonly lineSuffix: string;
  /** The lines after the cursor's line. */
  readonly followingLines: readonly string[];
}

/**
 * - trailing whitespace of every line and trailing blank lines go;
 * - a suggestion ending with the rest of the cursor's line ("a, b)" before ")") loses that end;
 * - whole lines at the end that repeat the lines following the cursor go;
 * Returns '' when nothing useful is left.
 */
export function cleanupSuggestion(text: string, context: CleanupContext): string {
  let lines = text.split('\n').map((line) => line.replace(/[ \t\r]+$/, ''));
  lines = dropTrailingBlank(lines);

  const rest = context.lineSuffix.trim();
  if (rest.length > 0) {
    const joined = lines.join('\n');
    if (joined.endsWith(rest)) lines = dropTrailingBlank(joined.slice(0, joined.length - rest.length).replace(/[ \t]+$/, '').split('\n'));
  }

  const following = context.followingLines.map((line) => line.trim());
  for (let k = Math.min(lines.length - 1, following.length); k >= 1; k--) {
    const tail = lines.slice(lines.length - k).map((line) => line.trim());
    if (tail.every((line, i) => line === following[i]) && tail.some((line) => line.length > 0)) {
      lines = dropTrailingBlank(lines.slice(0, lines.length - k));
      break;
    }
  }

  const out = lines.join('\n');
  return out.trim().length === 0 ? '' : out;
}

function dropTrailingBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 1 && lines[end - 1]!.trim().length === 0) end--;
  return lines.slice(0, end);
}
