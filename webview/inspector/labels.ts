// How a token is shown in the panel. Pure.

/** Longest label drawn; longer tokens end with an ellipsis (the tooltip shows them whole). */
export const MAX_LABEL_CHARS = 16;

/**
 * Makes whitespace visible (a space is ·, a newline ↵, a tab →, CR ␍) and cuts long tokens.
 * Counts code points, so an emoji is never cut in half.
 */
export function displayToken(text: string, max = MAX_LABEL_CHARS): string {
  if (text.length === 0) return '∅';
  const visible = text.replace(/\r/g, '␍').replace(/\n/g, '↵').replace(/\t/g, '→').replace(/ /g, '·');
  const points = [...visible];
  return points.length <= max ? visible : `${points.slice(0, max - 1).join('')}…`;
}

/** Fixed-precision number for stats, without trailing noise. */
export function formatStat(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** Short badge text of a head label. */
export function badgeText(label: string): string {
  switch (label) {
    case 'previous-token':
      return 'prev';
    case 'long-range':
      return 'long';
    default:
      return label;
  }
}
