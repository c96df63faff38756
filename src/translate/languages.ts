// How each VS Code language id is read by the code-aware extractor: a dedicated lexer
// (TypeScript/JavaScript, Python, Markdown, HTML/XML), the table-driven one with the language's
// comment and string syntax, or prose (the whole selection is text). Unknown ids are prose: the
// user selected the text and asked for a translation, and guessing comment syntax would be worse.
import type { CommentSyntax, StringSyntax } from './lexers/generic';

export type LanguageReader =
  | { readonly kind: 'javascript'; readonly jsx: boolean }
  | { readonly kind: 'python' }
  | { readonly kind: 'markdown' }
  | { readonly kind: 'markup' }
  | { readonly kind: 'generic'; readonly syntax: CommentSyntax }
  | { readonly kind: 'prose' };

const DQ: StringSyntax = { quote: '"' };
const SQ: StringSyntax = { quote: "'" };
const SQ_RAW: StringSyntax = { quote: "'", escapes: false };
const TRIPLE_DQ: StringSyntax = { quote: '"""', multiline: true };

const C_LIKE: CommentSyntax = { line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ] };
const HASH: CommentSyntax = { line: ['#'], block: [], strings: [DQ, SQ] };

const GENERIC: Readonly<Record<string, CommentSyntax>> = {
  c: C_LIKE,
  cpp: C_LIKE,
  'cuda-cpp': C_LIKE,
  csharp: { line: ['//'], block: [['/*', '*/']], strings: [TRIPLE_DQ, DQ, SQ] },
  java: { line: ['//'], block: [['/*', '*/']], strings: [TRIPLE_DQ, DQ, SQ] },
  go: { line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ, { quote: '`', escapes: false, multiline: true }] },
  rust: { line: ['//'], block: [['/*', '*/']], strings: [DQ], nestedBlocks: true },
  swift: { line: ['//'], block: [['/*', '*/']], strings: [TRIPLE_DQ, DQ], nestedBlocks: true },
  kotlin: { line: ['//'], block: [['/*', '*/']], strings: [TRIPLE_DQ, DQ, SQ], nestedBlocks: true },
  scala: { line: ['//'], block: [['/*', '*/']], strings: [TRIPLE_DQ, DQ], nestedBlocks: true },
  dart: { line: ['//'], block: [['/*', '*/']], strings: [TRIPLE_DQ, { quote: "'''", multiline: true }, DQ, SQ], nestedBlocks: true },
  groovy: { line: ['//'], block: [['/*', '*/']], strings: [TRIPLE_DQ, DQ, SQ] },
  'objective-c': C_LIKE,
  'objective-cpp': C_LIKE,
  php: { line: ['//', '#'], block: [['/*', '*/']], strings: [DQ, SQ] },
  json: { line: [], block: [], strings: [DQ] },
  jsonc: { line: ['//'], block: [['/*', '*/']], strings: [DQ] },
  json5: { line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ] },
  css: { line: [], block: [['/*', '*/']], strings: [DQ, SQ] },
  scss: C_LIKE,
  less: C_LIKE,
  proto: C_LIKE,
  proto3: C_LIKE,
  zig: { line: ['//'], block: [], strings: [DQ] },
  d: C_LIKE,
  hlsl: C_LIKE,
  glsl: C_LIKE,
  wgsl: { line: ['//'], block: [['/*', '*/']], strings: [], nestedBlocks: true },
  solidity: C_LIKE,
  fsharp: { line: ['//'], block: [['(*', '*)']], strings: [TRIPLE_DQ, DQ], nestedBlocks: true },
  ocaml: { line: [], block: [['(*', '*)']], strings: [DQ], nestedBlocks: true },
  shellscript: { line: ['#'], block: [], strings: [DQ, SQ_RAW], lineMarkerNeedsBoundary: true },
  dockerfile: { line: ['#'], block: [], strings: [DQ, SQ_RAW], lineMarkerNeedsBoundary: true },
  makefile: { line: ['#'], block: [], strings: [] },
  ruby: { line: ['#'], block: [['=begin', '=end']], strings: [DQ, SQ] },
  perl: HASH,
  r: HASH,
  yaml: { line: ['#'], block: [], strings: [DQ, { quote: "'", escapes: false, doubled: true }], lineMarkerNeedsBoundary: true },
  toml: { line: ['#'], block: [], strings: [TRIPLE_DQ, { quote: "'''", escapes: false, multiline: true }, DQ, SQ_RAW] },
  ini: { line: [';', '#'], block: [], strings: [DQ] },
  properties: { line: ['#', '!'], block: [], strings: [] },
  cmake: { line: ['#'], block: [], strings: [DQ] },
  powershell: { line: ['#'], block: [['<#', '#>']], strings: [DQ, { quote: "'", escapes: false, doubled: true }] },
  elixir: { line: ['#'], block: [], strings: [TRIPLE_DQ, DQ] },
  coffeescript: { line: ['#'], block: [['###', '###']], strings: [DQ, SQ] },
  julia: { line: ['#'], block: [['#=', '=#']], strings: [TRIPLE_DQ, DQ], nestedBlocks: true },
  nim: { line: ['#'], block: [['#[', ']#']], strings: [TRIPLE_DQ, DQ], nestedBlocks: true },
  graphql: { line: ['#'], block: [], strings: [TRIPLE_DQ, DQ] },
  terraform: { line: ['#', '//'], block: [['/*', '*/']], strings: [DQ] },
  nix: { line: ['#'], block: [['/*', '*/']], strings: [DQ] },
  sql: { line: ['--'], block: [['/*', '*/']], strings: [{ quote: "'", escapes: false, doubled: true }, DQ] },
  lua: { line: ['--'], block: [['--[[', ']]']], strings: [DQ, SQ] },
  haskell: { line: ['--'], block: [['{-', '-}']], strings: [DQ], nestedBlocks: true, operatorDashes: 'around' },
  // Elm reads `--` as a comment wherever it skips blanks, before any operator (and has no user operators).
  elm: { line: ['--'], block: [['{-', '-}']], strings: [TRIPLE_DQ, DQ], nestedBlocks: true },
  purescript: { line: ['--'], block: [['{-', '-}']], strings: [TRIPLE_DQ, DQ], nestedBlocks: true, operatorDashes: 'after' },
  ada: { line: ['--'], block: [], strings: [{ quote: '"', escapes: false, doubled: true }] },
  vhdl: { line: ['--'], block: [['/*', '*/']], strings: [{ quote: '"', escapes: false, doubled: true }] },
  latex: { line: ['%'], block: [], strings: [] },
  tex: { line: ['%'], block: [], strings: [] },
  bibtex: { line: ['%'], block: [], strings: [] },
  erlang: { line: ['%'], block: [], strings: [DQ] },
  matlab: { line: ['%'], block: [['%{', '%}']], strings: [DQ] },
  prolog: { line: ['%'], block: [['/*', '*/']], strings: [DQ] },
  clojure: { line: [';'], block: [], strings: [DQ] },
  lisp: { line: [';'], block: [['#|', '|#']], strings: [DQ], nestedBlocks: true },
  scheme: { line: [';'], block: [['#|', '|#']], strings: [DQ], nestedBlocks: true },
  racket: { line: [';'], block: [['#|', '|#']], strings: [DQ], nestedBlocks: true },
  bat: { line: ['REM ', 'rem ', '::'], block: [], strings: [DQ] },
  vb: { line: ["'"], block: [], strings: [{ quote: '"', escapes: false, doubled: true }] },
  pascal: { line: ['//'], block: [['{', '}'], ['(*', '*)']], strings: [{ quote: "'", escapes: false, doubled: true }] },
};

export function readerFor(languageId: string): LanguageReader {
  switch (languageId) {
    case 'javascript':
    case 'javascriptreact':
    case 'typescriptreact':
      return { kind: 'javascript', jsx: true };
    case 'typescript':
      // `<T>value` is a type assertion in TypeScript: no JSX.
      return { kind: 'javascript', jsx: false };
    case 'python':
      return { kind: 'python' };
    case 'markdown':
    case 'mdx':
      return { kind: 'markdown' };
    case 'html':
    case 'xml':
    case 'xsl':
    case 'svg':
    case 'vue-html':
    case 'vue':
    case 'svelte':
    case 'razor':
      return { kind: 'markup' };
  }
  // Own keys only: `constructor` or `toString` is not a language with a comment table.
  if (Object.hasOwn(GENERIC, languageId)) return { kind: 'generic', syntax: GENERIC[languageId] as CommentSyntax };
  return { kind: 'prose' };
}
