// Placeholder protection. Format strings, markup, code and URLs must come out of a translation
// byte for byte: they are replaced by numbered masks (`{0}`, `{1}`, …) before the text reaches the
// model and put back afterwards. `{N}` is the mask because translation models trained on software
// catalogues (gettext, OPUS's KDE/GNOME data) copy it through reliably, and because it tokenizes to
// pieces every vocabulary has. Masks may move (German word order moves them); a mask the model
// drops, duplicates or invents makes unmask() refuse, and the caller falls back to translating the
// runs between placeholders one by one, which cannot lose a placeholder. Pure: no vscode.
import { normalizeSpans, type Span } from './spans';

/** One alternative per placeholder family; the first one matching at a position wins. */
const PLACEHOLDER_SOURCES: readonly string[] = [
  /``[^\n]*?``|`[^`\n]+`/.source, // backticked code
  /<!--[\s\S]*?-->/.source, // HTML/XML comment
  /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s<>"'`]+|\bwww\.[^\s<>"'`]+|\bmailto:[^\s<>"'`]+/.source, // URL
  /[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/.source, // e-mail address
  /<\/?[A-Za-z][\w:.-]*(?:\s+[^<>]*?)?\s*\/?>/.source, // HTML/XML tag
  /&(?:[A-Za-z][A-Za-z0-9]{1,31}|#\d{1,7}|#[xX][0-9A-Fa-f]{1,6});/.source, // character entity
  /\$\{(?:[^{}\n]|\{[^{}\n]*\})*\}/.source, // ${name}, ${a.b}, ${f({x})}
  /\{\{[^{}\n]*\}\}/.source, // {{ mustache }}
  /\{[\w.$]*(?:[:!,][^{}\n]*)?\}/.source, // {0}, {name}, {}, {0:.2f}, {n, plural, …}
  /%\([^)\n]+\)[-+0#]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]/.source, // %(name)s
  /%(?:\d+\$)?[-+0#']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|ll|I64|I32|[hlLqjztI])?[diouxXeEfFgGaAcspn@]/.source, // %s %5.2f %1$s
  /%%/.source,
  /%[1-9]\d?(?!\d)/.source, // Qt %1
];

const PLACEHOLDER_PATTERN = new RegExp(PLACEHOLDER_SOURCES.join('|'), 'g');

/** Characters a URL match gives back when they end it: sentence punctuation, not part of the URL. */
const URL_TRAILING = /[.,;:!?'")\]]+$/;

/** Spans of the placeholders the patterns find in `text`. */
export function placeholderSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(PLACEHOLDER_PATTERN)) {
    const start = match.index;
    let value = match[0];
    if (/^(?:[a-zA-Z][a-zA-Z0-9+.-]*:\/\/|www\.|mailto:)/.test(value)) value = trimUrl(value);
    spans.push({ start, end: start + value.length });
  }
  return spans;
}

/** Drops trailing punctuation from a URL, keeping a closing parenthesis the URL itself opened. */
function trimUrl(url: string): string {
  const trailing = URL_TRAILING.exec(url);
  if (trailing === null) return url;
  let cut = url.length - trailing[0].length;
  // "(see https://en.wikipedia.org/wiki/Foo_(bar))." keeps the first ')'.
  const opens = (url.slice(0, cut).match(/\(/g) ?? []).length;
  const closes = (url.slice(0, cut).match(/\)/g) ?? []).length;
  if (opens > closes && url[cut] === ')') cut += 1;
  return url.slice(0, cut);
}

export interface MaskedText {
  /** The text with every placeholder replaced by `{i}`. */
  readonly text: string;
  /** placeholders[i] is the original text of mask `{i}`. */
  readonly placeholders: readonly string[];
  /** Where placeholder i was in the source text (spans[i] holds placeholders[i]). */
  readonly spans: readonly Span[];
  /** Whether the source had no whitespace right before / after mask i (e.g. `<b>word`). */
  readonly gluedBefore: readonly boolean[];
  readonly gluedAfter: readonly boolean[];
}

export function maskLabel(index: number): string {
  return `{${index}}`;
}

/** Replaces the found placeholders and the `extra` spans (e.g. string escapes) by masks. */
export function mask(text: string, extra: readonly Span[] = []): MaskedText {
  const spans = normalizeSpans([...placeholderSpans(text), ...extra]);
  const placeholders: string[] = [];
  const gluedBefore: boolean[] = [];
  const gluedAfter: boolean[] = [];
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start);
    gluedBefore.push(span.start > 0 && !/\s/.test(text[span.start - 1] ?? ''));
    gluedAfter.push(span.end < text.length && !/\s/.test(text[span.end] ?? ''));
    out += maskLabel(placeholders.length);
    placeholders.push(text.slice(span.start, span.end));
    at = span.end;
  }
  out += text.slice(at);
  return { text: out, placeholders, spans, gluedBefore, gluedAfter };
}

const OPENING_TAG = /^<[A-Za-z][^<>]*[^/]>$|^<[A-Za-z]>$/;
const CLOSING_TAG = /^<\/[^<>]+>$/;
/** Text ending in an opening bracket or quote, then spaces: `( {0}`. */
const OPENING_PUNCTUATION = /[(\[{«„“‘][ \t]+$/;
/** Spaces, then closing punctuation: `{0} !`. */
const CLOSING_PUNCTUATION = /^[ \t]+[.,;:!?)\]}»”’…]/;

const MASK_IN_OUTPUT = /\{\s*(\d{1,4})\s*\}/g;

/** A piece of a restored translation: model text (to escape for its context) or source text. */
export type RestoredPart =
  | { readonly kind: 'translated'; readonly text: string }
  | { readonly kind: 'verbatim'; readonly text: string };

/**
 * Puts the placeholders back into a translation of `masked.text`, as parts. Returns undefined
 * when the translation does not hold every mask exactly once (a mask dropped, duplicated or
 * invented): the caller must then fall back. A text without placeholders accepts any output.
 */
export function unmaskParts(translation: string, masked: MaskedText): RestoredPart[] | undefined {
  const count = masked.placeholders.length;
  if (count === 0) return [{ kind: 'translated', text: translation }];
  const found = [...translation.matchAll(MASK_IN_OUTPUT)];
  if (found.length !== count) return undefined;
  const seen = new Set<number>();
  for (const match of found) {
    const index = Number(match[1]);
    if (index >= count || seen.has(index)) return undefined;
    seen.add(index);
  }
  const texts: string[] = [];
  const indices: number[] = [];
  let at = 0;
  for (const match of found) {
    texts.push(translation.slice(at, match.index));
    indices.push(Number(match[1]));
    at = match.index + match[0].length;
  }
  texts.push(translation.slice(at));
  // Glue: a placeholder that touched punctuation in the source (`%s!`, `(%s)`) touches it again, and
  // tags stay on the words they wrap (`<b>word</b>`). A moved placeholder next to a word keeps its space.
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    const placeholder = masked.placeholders[index] as string;
    const before = texts[i] as string;
    const after = texts[i + 1] as string;
    if (masked.gluedBefore[index] === true && (CLOSING_TAG.test(placeholder) || OPENING_PUNCTUATION.test(before))) {
      texts[i] = before.replace(/[ \t]+$/, '');
    }
    if (masked.gluedAfter[index] === true && (OPENING_TAG.test(placeholder) || CLOSING_PUNCTUATION.test(after))) {
      texts[i + 1] = after.replace(/^[ \t]+/, '');
    }
  }
  const parts: RestoredPart[] = [];
  for (let i = 0; i < texts.length; i++) {
    if (texts[i] !== '') parts.push({ kind: 'translated', text: texts[i] as string });
    if (i < indices.length) parts.push({ kind: 'verbatim', text: masked.placeholders[indices[i] as number] as string });
  }
  return parts;
}

/** unmaskParts joined to a string; `escape` applies to the model's text only. */
export function unmask(
  translation: string,
  masked: MaskedText,
  escape: (text: string) => string = (t) => t,
): string | undefined {
  return joinParts(unmaskParts(translation, masked), (text) => escape(text));
}

/** Joins parts; `escape(text, atEnd)` applies to model text, atEnd for the last part when `endsRegion`. */
export function joinParts(
  parts: readonly RestoredPart[] | undefined,
  escape: (text: string, atEnd: boolean) => string,
  endsRegion = false,
): string | undefined {
  if (parts === undefined) return undefined;
  return parts.map((p, i) => (p.kind === 'translated' ? escape(p.text, endsRegion && i === parts.length - 1) : p.text)).join('');
}
