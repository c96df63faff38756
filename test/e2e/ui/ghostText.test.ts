// Ghost text appears while typing in a .ts file, and Tab accepts it.
import * as assert from 'node:assert/strict';
import { lineNumber, type UiContext } from './context';
import { sleep, Workbench } from './workbench';

const GHOST = '.editor-instance .monaco-editor.focused :is(.ghost-text-decoration, .ghost-text)';

/** "Ln 25, Col 10" from the status bar. */
async function cursor(wb: Workbench): Promise<{ line: number; column: number }> {
  const text = await wb.page.locator('[id="status.editor.selection"]').innerText();
  const match = /Ln (\d+), Col (\d+)/.exec(text);
  assert.ok(match, `unexpected cursor status "${text}"`);
  return { line: Number(match[1]), column: Number(match[2]) };
}

export function registerGhostTextTests(ctx: UiContext): void {
  describe('UI: inline completion', () => {
    let wb: Workbench | undefined;
    before(async function () {
      if (!ctx.models.completion) this.skip();
      wb = await Workbench.open(ctx.browser(), ctx);
    });
    after(async () => {
      await wb?.close();
    });

    it('ghost text appears while typing in a .ts file and Tab accepts it', async () => {
      assert.ok(wb);
      const page = wb.page;
      const line = lineNumber(ctx, 'src/geometry.ts', (l, previous) => l.trim() === '' && (previous ?? '').startsWith('export function midpoint'));
      await wb.openFile('src/geometry.ts');
      await wb.goToLineEnd(line);
      await page.keyboard.type('return ', { delay: 40 });

      // The first keystrokes start loading the model in the worker; keep typing (delete and
      // retype a space) until a suggestion shows, as a user would.
      const ghost = page.locator(GHOST).first();
      const deadline = Date.now() + 150_000;
      while (!(await ghost.isVisible())) {
        assert.ok(Date.now() < deadline, 'no ghost text within 150 s of typing');
        await sleep(3000);
        if (await ghost.isVisible()) break;
        await page.keyboard.press('Backspace');
        await page.keyboard.type(' ', { delay: 40 });
      }
      const suggestion = ((await ghost.textContent()) ?? '').replace(/\u00a0/g, ' ');
      assert.ok(suggestion.length > 0, 'the ghost text is empty');
      await wb.screenshot('ui-ghost-text-shown');

      const before = await cursor(wb);
      await page.keyboard.press('Tab');
      // Accepting moves the cursor to the end of the inserted text (a new suggestion may show
      // right after, so the ghost element itself is no proof).
      const expected = before.column + suggestion.length;
      const waitUntil = Date.now() + 10_000;
      let after = await cursor(wb);
      while (after.column !== expected && Date.now() < waitUntil) {
        await sleep(200);
        after = await cursor(wb);
      }
      assert.deepEqual(after, { line: before.line, column: expected }, `Tab did not insert the suggestion ${JSON.stringify(suggestion)}`);
      const lineText = (await wb.visibleLines())[line - 1] ?? '';
      assert.ok(lineText.startsWith(`  return ${suggestion}`), `line ${line} is ${JSON.stringify(lineText)}`);
      await wb.screenshot('ui-ghost-text-accepted');
    });
  });
}
