// Ghost text appears while typing in a .ts file, and Tab accepts it.
import * as assert from 'node:assert/strict';
import { lineNumber, type UiContext } from './context';
import { sleep, Workbench } from './workbench';

const GHOST = '.editor-instance .monaco-editor.focused :is(.ghost-text-decoration, .ghost-text)';
const TYPED = 'const total';
/** Typed one by one while no suggestion shows: each keystroke is a new prompt for the model. */
const MORE = 'AmountOfPointsInTheMiddle';

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
      await page.keyboard.type(TYPED, { delay: 40 });

      // The first keystrokes start loading the model in the worker; keep typing until a
      // suggestion shows, as a user would (a random-weight test model may answer a prompt with
      // an empty line, which shows nothing).
      const ghost = page.locator(GHOST).first();
      const deadline = Date.now() + 150_000;
      let typed = TYPED;
      for (let i = 0; !(await ghost.isVisible()); i++) {
        assert.ok(Date.now() < deadline, 'no ghost text within 150 s of typing');
        await sleep(2500);
        if (await ghost.isVisible()) break;
        const next = MORE[i % MORE.length] ?? 'x';
        await page.keyboard.type(next);
        typed += next;
      }
      await wb.screenshot('ui-ghost-text-shown');
      const prefix = `  ${typed}`;
      const shown = (await wb.lineText(line)) ?? '';
      const document = (await wb.lineText(line, { withoutGhost: true })) ?? '';
      assert.equal(document, prefix, 'the line holds more than what was typed');
      assert.ok(shown.length > prefix.length, `no ghost text rendered in line ${line}: ${JSON.stringify(shown)}`);

      await page.keyboard.press('Tab');
      // Accepted: the ghost text is now document text (a new suggestion may show right after it,
      // so look at the document's text, not at the ghost element).
      const waitUntil = Date.now() + 10_000;
      let accepted = document;
      while (!accepted.startsWith(shown) && Date.now() < waitUntil) {
        await sleep(200);
        accepted = (await wb.lineText(line, { withoutGhost: true })) ?? '';
      }
      assert.ok(accepted.startsWith(shown) && accepted.length > prefix.length, `Tab did not insert the suggestion: the line is ${JSON.stringify(accepted)}, the ghost showed ${JSON.stringify(shown)}`);
      await wb.screenshot('ui-ghost-text-accepted');
    });
  });
}
