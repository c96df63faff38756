// JSON with comments and trailing commas, as VS Code writes settings.json and .code-workspace files.

/**
 * Copies `text`, handing every character outside strings to `outside` (which returns what to keep
 * and where to go on); strings are copied exactly, so `//` in a URL is no comment.
 */
function scan(text: string, outside: (i: number) => { keep: string; next: number }): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end + 1;
    } else {
      const { keep, next } = outside(i);
      out += keep;
      i = next;
    }
  }
  return out;
}

function withoutComments(text: string): string {
  return scan(text, (i) => {
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      return { keep: '', next: end < 0 ? text.length : end };
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      return { keep: ' ', next: end < 0 ? text.length : end + 2 };
    }
    return { keep: text[i] as string, next: i + 1 };
  });
}

function withoutTrailingCommas(text: string): string {
  return scan(text, (i) => {
    if (text[i] !== ',') return { keep: text[i] as string, next: i + 1 };
    let j = i + 1;
    while (j < text.length && /\s/.test(text[j] as string)) j++;
    return { keep: text[j] === '}' || text[j] === ']' ? '' : ',', next: i + 1 };
  });
}

/** Parses JSONC; throws SyntaxError as JSON.parse does. An empty file is an empty object. */
export function parseJsonc(text: string): unknown {
  const json = withoutTrailingCommas(withoutComments(text));
  return json.trim() === '' ? {} : JSON.parse(json);
}
