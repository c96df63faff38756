// "Tealeaf: Translate Selection to German" replaces the selected sentence in the editor.
import * as assert from 'node:assert/strict';
import { lineNumber, type UiContext } from './context';
import { sleep, Workbench } from './workbench';

const SOURCE = 'The file could not be opened.';

export function registerTranslationUiTests(ctx: UiContext): void {
  describe('UI: translation', () => {
    let wb: Workbench | undefined;
    before(async function () {
      if (!ctx.models.translation) this.skip();
      wb = await Workbench.open(ctx.browser(), ctx);
    });
    after(async () => {
      await wb?.close();
    });

    it('Translate Selection to German replaces the selected sentence', async () => {
      assert.ok(wb);
      const line = lineNumber(ctx, 'docs/welcome.md', (l) => l === SOURCE);
      await wb.openFile('docs/welcome.md');
      await wb.selectLine(line);
      await wb.screenshot('ui-translation-selected');
      await wb.runCommand('Tealeaf: Translate Selection to German');
      const deadline = Date.now() + 180_000;
      let text = await wb.lineText(line);
      while (text === SOURCE) {
        assert.ok(Date.now() < deadline, 'the selection was not replaced within 180 s');
        await sleep(500);
        text = await wb.lineText(line);
      }
      assert.ok(text !== undefined && text.trim().length > 0, `line ${line} is empty after translating`);
      await wb.screenshot('ui-translation-replaced');
    });
  });
}
