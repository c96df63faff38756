// Driving the VS Code workbench in the browser the way a user does: keyboard, command palette,
// quick open. Selectors are VS Code 1.100's (code-server 4.100.3).
import * as assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';

export interface WorkbenchOptions {
  readonly url: string;
  readonly folder: string;
  readonly artifactsDir: string;
}

export class Workbench {
  private constructor(
    private readonly context: BrowserContext,
    readonly page: Page,
    private readonly artifactsDir: string,
  ) {}

  /**
   * Opens the workbench on `folder` in a fresh browser context: the web workbench keeps editor
   * state and unsaved-file backups in the browser's storage, which must not leak between suites.
   */
  static async open(browser: Browser, options: WorkbenchOptions): Promise<Workbench> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${options.url}/?folder=${encodeURIComponent(options.folder)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await page.locator('.statusbar').waitFor();
    // The explorer lists the sample files once the remote file system answers.
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
    mkdirSync(options.artifactsDir, { recursive: true });
    return new Workbench(context, page, options.artifactsDir);
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifactsDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Runs a palette command by its full title ("Tealeaf: Inspect Attention"). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const first = this.page.locator('.quick-input-list .monaco-list-row').first();
    await first.waitFor();
    const label = (await first.getAttribute('aria-label')) ?? (await first.innerText());
    assert.ok(label.includes(title), `the palette's first match for "${title}" is "${label}"`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** Opens a workspace file through Quick Open and waits until its editor has focus. */
  async openFile(relativePath: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(relativePath);
    const name = path.posix.basename(relativePath);
    // Until the filter applies, the first row can still be a recently opened file: wait for ours.
    const first = this.page.locator('.quick-input-list .monaco-list-row').first();
    const deadline = Date.now() + 15_000;
    while (!((await first.textContent({ timeout: 15_000 })) ?? '').includes(name)) {
      if (Date.now() > deadline) throw new Error(`Quick Open does not offer ${relativePath} first`);
      await this.page.waitForTimeout(50);
    }
    await this.page.keyboard.press('Enter');
    await this.page.locator(`.tab.active[aria-label*="${name}"]`).waitFor();
    await this.page.locator('.editor-instance .monaco-editor.focused').waitFor();
  }

  /** Moves the cursor to the end of a 1-based line (Go to Line). */
  async goToLineEnd(line: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    await this.page.keyboard.press('End');
  }

  /** Selects a whole 1-based line (without its line break). */
  async selectLine(line: number): Promise<void> {
    await this.goToLineEnd(line);
    await this.page.keyboard.press('Shift+Home');
    // Shift+Home stops at the first non-blank character; a second press would go to column 1.
  }

  /**
   * The rendered text of a 1-based line of the focused editor (nbsp turned into spaces), found
   * through its line number in the gutter (the editor renders only the lines in view, scrolled).
   * Ghost text is drawn inside the line as decoration spans: `withoutGhost` leaves it out, giving
   * the document's text only. Undefined when the line is not rendered.
   */
  async lineText(line: number, options: { withoutGhost?: boolean } = {}): Promise<string | undefined> {
    const editor = this.page.locator('.editor-instance .monaco-editor.focused');
    return editor.evaluate(
      (root, { line, withoutGhost }) => {
        const numbers = Array.from(root.querySelectorAll<HTMLElement>('.margin-view-overlays .line-numbers'));
        const number = numbers.find((n) => (n.textContent ?? '').trim() === String(line));
        const top = number?.parentElement?.style.top;
        if (top === undefined) return undefined;
        const viewLine = Array.from(root.querySelectorAll<HTMLElement>('.view-lines .view-line')).find((l) => l.style.top === top);
        if (!viewLine) return undefined;
        const copy = viewLine.cloneNode(true) as HTMLElement;
        if (withoutGhost) for (const ghost of Array.from(copy.querySelectorAll('[class*="ghost-text"]'))) ghost.remove();
        return (copy.textContent ?? '').replace(/\u00a0/g, ' ');
      },
      { line, withoutGhost: options.withoutGhost === true },
    );
  }

  /** The (outer, inner) frames of the visible webview panel. */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
