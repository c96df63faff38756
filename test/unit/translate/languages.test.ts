// readerFor: which reader each VS Code language id gets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readerFor } from '../../../src/translate/languages';

describe('readerFor', () => {
  it('gives the dedicated lexers their languages', () => {
    for (const id of ['javascript', 'javascriptreact', 'typescriptreact']) assert.deepEqual(readerFor(id), { kind: 'javascript', jsx: true }, id);
    assert.deepEqual(readerFor('typescript'), { kind: 'javascript', jsx: false }, 'a type assertion <T>x is not an element');
    assert.deepEqual(readerFor('python'), { kind: 'python' });
    for (const id of ['markdown', 'mdx']) assert.deepEqual(readerFor(id), { kind: 'markdown' }, id);
    for (const id of ['html', 'xml', 'xsl', 'svg', 'vue-html', 'vue', 'svelte', 'razor']) assert.deepEqual(readerFor(id), { kind: 'markup' }, id);
  });

  it('reads table languages with their own comment syntax, and unknown ids as prose', () => {
    const rust = readerFor('rust');
    assert.ok(rust.kind === 'generic');
    assert.deepEqual(rust.syntax.line, ['//']);
    assert.equal(rust.syntax.nestedBlocks, true);
    const sql = readerFor('sql');
    assert.ok(sql.kind === 'generic');
    assert.deepEqual(sql.syntax.line, ['--']);
    assert.deepEqual(readerFor('plaintext'), { kind: 'prose' });
    assert.deepEqual(readerFor('toString'), { kind: 'prose' });
  });

  it('gives JSON, CSS and OCaml no line comment marker', () => {
    for (const id of ['json', 'css', 'ocaml']) {
      const reader = readerFor(id);
      assert.ok(reader.kind === 'generic', id);
      assert.deepEqual(reader.syntax.line, [], id);
    }
  });
});
