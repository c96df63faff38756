// A lexer for HTML and XML: comments, text between tags (prose), and the values of the attributes
// people read (title, alt, placeholder, aria-label, label). <script>, <style>, CDATA, processing
// instructions and other attributes are code. Pure.
import type { Literal } from './types';

/** Attributes whose values people read (also those of JSX elements). */
const READABLE_ATTRIBUTES: ReadonlySet<string> = new Set(['title', 'alt', 'placeholder', 'aria-label', 'aria-description', 'label', 'summary']);
const RAW_TEXT_ELEMENTS = new Set(['script', 'style', 'textarea', 'pre', 'code']);

export function lexMarkup(text: string): Literal[] {
  const literals: Literal[] = [];
  let i = 0;
  let textStart = 0;
  const flushText = (end: number): void => {
    if (end > textStart) literals.push({ kind: 'text', start: textStart, end, contentStart: textStart, contentEnd: end });
  };
  while (i < text.length) {
    if (text.startsWith('<!--', i)) {
      flushText(i);
      // From the second dash: `<!-->` and `<!--->` are whole (empty) comments in HTML.
      const close = text.indexOf('-->', i + 2);
      const end = close < 0 ? text.length : close + 3;
      literals.push({
        kind: 'comment',
        style: 'block',
        start: i,
        end,
        contentStart: close < 0 ? i + 4 : Math.min(i + 4, close),
        contentEnd: close < 0 ? end : close,
        open: '<!--',
        close: '-->',
      });
      i = textStart = end;
    } else if (text.startsWith('<![CDATA[', i) || text.startsWith('<?', i) || text.startsWith('<!', i)) {
      flushText(i);
      const closer = text.startsWith('<![CDATA[', i) ? ']]>' : text.startsWith('<?', i) ? '?>' : '>';
      const close = text.indexOf(closer, i + 2);
      i = textStart = close < 0 ? text.length : close + closer.length;
    } else if (text[i] === '<' && /[A-Za-z/]/.test(text[i + 1] ?? '')) {
      flushText(i);
      const tag = scanTag(text, i, literals);
      i = textStart = tag.end;
      if (tag.name !== undefined && RAW_TEXT_ELEMENTS.has(tag.name) && !tag.selfClosing) {
        // A case-insensitive search from here (toLowerCase() could shift offsets: 'İ' grows).
        const closer = new RegExp(`</${tag.name}`, 'gi');
        closer.lastIndex = i;
        const close = closer.exec(text)?.index ?? -1;
        i = textStart = close < 0 ? text.length : close;
      }
    } else {
      i += 1;
    }
  }
  flushText(text.length);
  return literals;
}

/** Scans `<name attr="…" …>`; reports readable attribute values. `name` is lower case, undefined for closing tags. */
function scanTag(text: string, start: number, literals: Literal[]): { end: number; name: string | undefined; selfClosing: boolean } {
  const nameMatch = /^<(\/?)([A-Za-z][\w:.-]*)/.exec(text.slice(start, start + 256));
  let i = start + (nameMatch?.[0].length ?? 1);
  const closing = nameMatch?.[1] === '/';
  const name = closing ? undefined : nameMatch?.[2]?.toLowerCase();
  while (i < text.length && text[i] !== '>') {
    const attr = /^\s*([^\s=>/]+)\s*=\s*(["'])/.exec(text.slice(i, i + 512));
    if (attr !== null) {
      i = quotedAttribute(text, attr[1] as string, attr[2] as string, i + attr[0].length, literals);
    } else {
      i += 1;
    }
  }
  const selfClosing = text[i - 1] === '/';
  return { end: Math.min(i + 1, text.length), name, selfClosing };
}

/**
 * The quoted value of attribute `name` that starts at `contentStart` (after its opening quote): no
 * escapes, the first matching quote ends it (an unclosed one runs to the end). Reported as a raw
 * string when people read it. Returns the index after the value.
 */
export function quotedAttribute(text: string, name: string, quote: string, contentStart: number, literals: Literal[]): number {
  const close = text.indexOf(quote, contentStart);
  const contentEnd = close < 0 ? text.length : close;
  if (READABLE_ATTRIBUTES.has(name.toLowerCase())) {
    literals.push({ kind: 'string', start: contentStart - 1, end: Math.min(contentEnd + 1, text.length), contentStart, contentEnd, quote, raw: true, holes: [] });
  }
  return close < 0 ? text.length : close + 1;
}
