// The built inspector webview (dist/webview/inspector.js) in headless Chromium, under its real
// CSP, fed with fixture documents through the same messages VS Code would deliver.
// Run: npm run test:webview (builds the webview first).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { displayToken } from '../../webview/inspector/labels';
import { CODE_TOKENS, codeSession, FIXTURE_FACTS, longSession, SOURCE_TOKENS, TARGET_TOKENS, translationSession } from './fixtures';
import { HIGH_CONTRAST_THEME, launchBrowser, openInspector, paintedPixels, startServer, type InspectorPage, type StaticServer } from './harness';

let browser: Browser;
let server: StaticServer;

before(async () => {
  browser = await launchBrowser();
  server = await startServer();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openTab(p: InspectorPage, title: string): Promise<void> {
  await p.page.locator('vscode-tab-header', { hasText: title }).click();
}

/** Waits until a view's canvas says it painted data. */
async function painted(p: InspectorPage, view: string): Promise<void> {
  await p.page.waitForSelector(`canvas[data-view="${view}"][data-painted="true"]`, { timeout: 10_000 });
}

const labels = CODE_TOKENS.map((t) => displayToken(t));

/**
 * Polls a page expression until it is truthy. (page.waitForFunction compiles its string with
 * new Function, which the page's CSP rightly refuses; page.evaluate goes through DevTools.)
 */
async function waitForExpression(p: InspectorPage, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await p.page.evaluate<boolean>(`Boolean(${expression})`))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('inspector webview', () => {
  test('model view: every layer × head painted, labelled and badged; first paint is posted', async () => {
    const p = await openInspector(browser, server);
    try {
      const session = codeSession();
      await p.show(session);
      const fp = await p.waitForMessage('firstPaint', (m) => m.docId === session.docId);
      assert.ok(Math.abs(fp.at - Date.now()) < 60_000);
      await painted(p, 'model');
      assert.ok((await paintedPixels(p.page, 'canvas[data-view="model"]')) > 10_000);
      const texts = await p.texts('model');
      for (const l of ['L0', 'L1', 'L2', 'L3', 'H0', 'H1', 'H2', 'H3']) assert.ok(texts.includes(l), `missing ${l}`);
      // badges: head 0 previous-token, 1 sink, 3 self (local) in every layer
      assert.ok(texts.some((t) => t.startsWith('prev ')));
      assert.ok(texts.some((t) => t.startsWith('sink ')));
      assert.ok(texts.some((t) => t.startsWith('local ')));
      assert.equal(await p.page.locator('.meta').textContent(), ' fixture · 16 tokens · 4 layers × 4 heads · forward 3 ms');
      assert.equal(await p.page.locator('.facts').textContent(), FIXTURE_FACTS, 'the model facts are in the header');
      assert.equal(await p.page.locator('.facts').isVisible(), true);
      // hover shows the head's statistics
      const box = (await p.page.locator('canvas[data-view="model"]').boundingBox())!;
      await p.page.mouse.move(box.x + 36 + 6 + 20, box.y + 20 + 20);
      await p.page.waitForSelector('.tooltip:not([hidden])');
      assert.match((await p.page.locator('.tooltip').textContent()) ?? '', /^Layer 0, head 0: previous-token · entropy 0\.000 nats/);
      // click opens the head in the matrix view
      await p.page.mouse.click(box.x + 36 + 6 + 20, box.y + 20 + 20);
      await p.waitForMessage('requestBlock', (m) => m.scope.kind === 'head' && m.scope.layer === 0 && m.scope.head === 0);
      await painted(p, 'matrix');
      assert.deepEqual(await p.violations(), [], 'normal rendering causes no CSP violation');
    } finally {
      await p.close();
    }
  });

  test('head view: token labels on both sides, lines per head, hover keeps only that token’s lines', async () => {
    const p = await openInspector(browser, server);
    try {
      await p.show(codeSession());
      await painted(p, 'model');
      await openTab(p, 'Heads');
      await p.waitForMessage('requestBlock', (m) => m.scope.kind === 'layer' && m.scope.layer === 0);
      await painted(p, 'heads');
      const canvas = p.page.locator('canvas[data-view="heads"]');
      assert.ok((await paintedPixels(p.page, 'canvas[data-view="heads"]')) > 2_000);
      const texts = await p.texts('heads');
      for (const l of labels) assert.ok(texts.includes(l), `missing token label ${JSON.stringify(l)}`);
      const allLines = Number(await canvas.getAttribute('data-lines'));
      assert.equal(await canvas.getAttribute('data-filter'), 'none');
      // heads: previous (16 lines), sink (1 + 15·2), uniform (Σ(q+1) for p ≥ 0.02: q ≤ 49 → 136), self (16)
      assert.equal(allLines, 16 + 31 + 136 + 16);
      // hover query token 9 (" return"): rows 18 px from y = 8, labels end at x = 138
      const box = (await p.page.locator('.head-view .scroller').boundingBox())!;
      await p.page.mouse.move(box.x + 100, box.y + 8 + 9 * 18 + 9);
      await p.page.waitForSelector('canvas[data-view="heads"][data-filter="query:9"]');
      // row 9: previous 1, sink 2, uniform 10, self 1
      assert.equal(Number(await canvas.getAttribute('data-lines')), 1 + 2 + 10 + 1);
      const hl = await p.waitForMessage('highlight', (m) => m.query === 9);
      assert.equal(hl.weights?.length, CODE_TOKENS.length);
      assert.equal(hl.pin, false);
      assert.equal(Math.max(...(hl.weights ?? [])), 1);
      // hovering a key keeps the lines into it
      await p.page.mouse.move(box.x + box.width - 60, box.y + 8 + 0 * 18 + 9);
      await p.page.waitForSelector('canvas[data-view="heads"][data-filter="key:0"]');
      assert.ok(Number(await canvas.getAttribute('data-lines')) < allLines);
      // leaving restores every line
      await p.page.mouse.move(box.x + box.width / 2, box.y + box.height + 40);
      await p.page.waitForSelector('canvas[data-view="heads"][data-filter="none"]');
      assert.equal(Number(await canvas.getAttribute('data-lines')), allLines);
      // a head toggle removes that head's lines
      await p.page.locator('vscode-checkbox[data-head="2"]').click();
      await waitForExpression(p, `document.querySelector('canvas[data-view="heads"]')?.getAttribute('data-lines') === '${16 + 31 + 16}'`);
      // the editor cursor selects a token (host → selectToken)
      await p.deliver({ type: 'selectToken', docId: p.posted.find((m) => m.type === 'firstPaint')!.docId as number, sectionId: 'self', index: 3 });
      await p.page.waitForSelector('canvas[data-view="heads"][data-filter="query:3"]');
      // keyboard: ArrowDown moves the selected query
      await p.page.locator('.head-view .scroller').focus();
      await p.page.keyboard.press('ArrowDown');
      await p.page.waitForSelector('canvas[data-view="heads"][data-filter="query:4"]');
    } finally {
      await p.close();
    }
  });

  test('matrix view: labels, zoom, and smooth scrolling at 1,024 tokens (only the visible region drawn)', async () => {
    const p = await openInspector(browser, server);
    try {
      const small = codeSession();
      await p.show(small);
      await painted(p, 'model');
      await openTab(p, 'Matrix');
      await painted(p, 'matrix');
      assert.ok((await paintedPixels(p.page, 'canvas[data-view="matrix"]')) > 2_000);
      const texts = await p.texts('matrix');
      for (const l of labels) assert.ok(texts.includes(l), `missing ${JSON.stringify(l)}`);
      const canvas = p.page.locator('canvas[data-view="matrix"]');
      const before = Number(await canvas.getAttribute('data-cell'));
      assert.equal(before, 32, '16 tokens fit at the largest zoom');
      await p.page.locator('.matrix-view vscode-button[title="Zoom out (−)"]').click();
      await waitForExpression(p, `Number(document.querySelector('canvas[data-view="matrix"]')?.getAttribute('data-cell')) === 24`);
      await p.page.locator('.matrix-view vscode-button[title="Zoom in (+)"]').click();
      await waitForExpression(p, `Number(document.querySelector('canvas[data-view="matrix"]')?.getAttribute('data-cell')) === 32`);

      const long = longSession(1024);
      await p.clearTexts();
      await p.show(long);
      await p.waitForMessage('requestBlock', (m) => m.docId === long.docId && m.scope.kind === 'head');
      await waitForExpression(p, `document.querySelector('.meta')?.textContent?.includes('1024 tokens')`);
      await painted(p, 'matrix');
      // zoom to 8 px cells: 8 px × 1,024 = 8,192 px of content, most of it off screen
      await p.page.locator('.matrix-view .scroller').focus();
      for (let i = 0; i < 12 && Number(await canvas.getAttribute('data-cell')) < 8; i++) await p.page.keyboard.press('+');
      assert.equal(Number(await canvas.getAttribute('data-cell')), 8);
      const frameMs = await p.page.evaluate<number>(`(async () => {
        const scroller = document.querySelector('.matrix-view .scroller');
        const frame = () => new Promise((r) => requestAnimationFrame(r));
        await frame();
        const start = performance.now();
        for (let i = 1; i <= 30; i++) {
          scroller.scrollTop = i * 200;
          scroller.scrollLeft = i * 150;
          await frame();
          await frame();
        }
        return (performance.now() - start) / 30;
      })()`);
      const visibleRows = (await canvas.getAttribute('data-visible-rows'))!.split('-').map(Number);
      assert.ok(visibleRows[1]! - visibleRows[0]! < 200, `drew rows ${visibleRows.join('–')}`);
      assert.ok(visibleRows[0]! > 500, 'scrolled far down');
      // two frames per step: ≤ 50 ms means the draws keep up (≈ 33 ms at 60 Hz)
      assert.ok(frameMs < 50, `scroll step took ${frameMs.toFixed(1)} ms`);
      process.stderr.write(`# matrix 1,024 tokens at 8 px: ${frameMs.toFixed(1)} ms per scroll step (two frames)\n`);
      // the last frame's labels: all inside the visible rows / keys, none from far outside
      await p.clearTexts();
      await p.page.keyboard.press('ArrowRight'); // one more frame at the final scroll position
      await painted(p, 'matrix');
      await waitForExpression(p, `window.__tealeaf.texts.length > 0`);
      const drawn = (await p.texts('matrix')).filter((t) => /^t\d+$/.test(t)).map((t) => Number(t.slice(1)));
      assert.ok(drawn.length > 20, `labels drawn: ${drawn.length}`);
      const keys = (await canvas.getAttribute('data-visible-keys'))!.split('-').map(Number);
      const rowsNow = (await canvas.getAttribute('data-visible-rows'))!.split('-').map(Number);
      const inView = (i: number): boolean => (i >= rowsNow[0]! && i < rowsNow[1]!) || (i >= keys[0]! && i < keys[1]!);
      assert.ok(drawn.every(inView), `a label outside the visible region was drawn: ${drawn.filter((i) => !inView(i)).slice(0, 5).join()}`);
      assert.ok(drawn.length < 400, 'only visible labels are drawn');
    } finally {
      await p.close();
    }
  });

  test('aggregate view: mean, max and rollout are fetched and painted', async () => {
    const p = await openInspector(browser, server);
    try {
      const session = codeSession();
      await p.show(session);
      await painted(p, 'model');
      await openTab(p, 'Aggregate');
      await p.waitForMessage('requestBlock', (m) => m.scope.kind === 'aggregate' && m.scope.reduction === 'mean');
      await painted(p, 'aggregate');
      assert.ok((await paintedPixels(p.page, 'canvas[data-view="aggregate"]')) > 2_000);
      for (const l of labels) assert.ok((await p.texts('aggregate')).includes(l));
      const select = p.page.locator('.aggregate-view vscode-single-select').first();
      // choose "Rollout" with the keyboard, as a user of the dropdown would
      await select.click();
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('Enter');
      const req = await p.waitForMessage('requestBlock', (m) => m.scope.kind === 'aggregate' && m.scope.reduction === 'rollout');
      assert.equal(req.docId, session.docId);
      await p.page.waitForSelector(`canvas[data-view="aggregate"][data-scope*="rollout"]`);
      assert.ok((await paintedPixels(p.page, 'canvas[data-view="aggregate"]')) > 2_000);
    } finally {
      await p.close();
    }
  });

  test('statistics table sorts by a column; a row opens its head', async () => {
    const p = await openInspector(browser, server);
    try {
      await p.show(codeSession());
      await painted(p, 'model');
      await openTab(p, 'Statistics');
      const rows = p.page.locator('.stats-table tbody tr');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 16);
      await p.page.locator('.stats-table th[data-key="entropy"] button').click();
      assert.equal(await p.page.locator('.stats-table th[data-key="entropy"]').getAttribute('aria-sort'), 'descending');
      const entropies = (await p.page.locator('.stats-table tbody tr td:nth-child(4)').allTextContents()).map(Number);
      assert.deepEqual(entropies, [...entropies].sort((a, b) => b - a));
      assert.ok(entropies[0]! > 1, 'the uniform heads come first');
      await rows.first().press('Enter');
      await painted(p, 'matrix');
    } finally {
      await p.close();
    }
  });

  test('statistics that follow the document fill in the badges and the table', async () => {
    const p = await openInspector(browser, server);
    try {
      const session = codeSession();
      const full = session.document;
      const section = full.sections[0]!;
      await p.deliver({ type: 'document', doc: { ...full, sections: [{ ...section, stats: [], statsPending: true }] } });
      await p.waitForMessage('firstPaint', (m) => m.docId === full.docId);
      await painted(p, 'model');
      assert.ok(!(await p.texts('model')).some((t) => t.startsWith('prev ')), 'no badges before the statistics');
      await openTab(p, 'Statistics');
      await p.page.locator('.stats-table tr.pending').waitFor();
      assert.equal(await p.page.locator('.stats-table').getAttribute('aria-busy'), 'true');
      // statistics of another document are ignored
      await p.deliver({ type: 'stats', docId: full.docId + 1000, sectionId: section.id, stats: section.stats });
      await p.deliver({ type: 'stats', docId: full.docId, sectionId: section.id, stats: section.stats });
      await waitForExpression(p, `document.querySelectorAll('.stats-table tbody tr:not(.pending)').length === 16`);
      assert.equal(await p.page.locator('.stats-table tr.pending').count(), 0);
      assert.equal(await p.page.locator('.stats-table').getAttribute('aria-busy'), 'false');
      await p.clearTexts();
      await openTab(p, 'Model');
      await waitForExpression(p, `window.__tealeaf.texts.some((t) => t.startsWith('model\u0000prev '))`);
    } finally {
      await p.close();
    }
  });

  test('encoder-decoder: encoder and cross-attention tabs with their own tokens', async () => {
    const p = await openInspector(browser, server);
    try {
      await p.show(translationSession());
      await painted(p, 'model');
      const tabs = p.page.locator('.sections [role="tab"]');
      assert.deepEqual(await tabs.allTextContents(), ['Encoder', 'Cross-attention']);
      await openTab(p, 'Matrix');
      await painted(p, 'matrix');
      assert.ok((await p.texts('matrix')).includes('Open'));
      await p.clearTexts();
      await tabs.nth(1).click();
      await p.waitForMessage('requestBlock', (m) => m.sectionId === 'cross');
      await waitForExpression(p, `document.querySelector('.sections [aria-selected="true"]')?.textContent === 'Cross-attention'`);
      await painted(p, 'matrix');
      const texts = await p.texts('matrix');
      for (const t of TARGET_TOKENS) assert.ok(texts.includes(displayToken(t)), `query label ${t}`);
      for (const t of SOURCE_TOKENS) assert.ok(texts.includes(displayToken(t)), `key label ${t}`);
    } finally {
      await p.close();
    }
  });

  test('a cut notice is visible; PNG export posts a PNG; high contrast repaints with the theme', async () => {
    const p = await openInspector(browser, server);
    try {
      await p.show(codeSession('Showing the last 16 tokens; 40 tokens before them were cut.'));
      await painted(p, 'model');
      assert.equal(await p.page.locator('.notice').isVisible(), true);
      assert.match((await p.page.locator('.notice').textContent()) ?? '', /were cut/);
      await p.page.locator('vscode-button[title="Export the current view as PNG"]').click();
      const png = await p.waitForMessage('exportPng');
      assert.match(png.fileName, /^tealeaf-model\.png$/);
      assert.ok(png.dataUrl.startsWith('data:image/png;base64,') && png.dataUrl.length > 2_000);
      const darkCorner = await p.page.evaluate<number[]>(`Array.from(document.querySelector('canvas[data-view="model"]').getContext('2d').getImageData(1, 1, 1, 1).data)`);
      assert.deepEqual(darkCorner, [30, 30, 30, 255]);
      await p.theme('vscode-high-contrast', HIGH_CONTRAST_THEME);
      await waitForExpression(p, `document.querySelector('canvas[data-view="model"]').getContext('2d').getImageData(1, 1, 1, 1).data[0] === 0`);
    } finally {
      await p.close();
    }
  });
});

/** Page script: inject an inline <script> and fetch from another origin; report what happened. */
function injectAndFetch(remoteOrigin: string): string {
  return `(async () => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true;';
    document.body.append(s);
    const fetched = await fetch(${JSON.stringify(remoteOrigin)} + '/probe').then(() => 'fetched', (e) => 'blocked: ' + e);
    await new Promise((r) => setTimeout(r, 50)); // violation events are queued
    return { inlineRan: window.__inlineRan === true, fetched };
  })()`;
}

describe('inspector webview CSP', () => {
  test('blocks an inline script and a fetch to another origin (and both work without the CSP)', async () => {
    const remote = await startServer();
    const p = await openInspector(browser, server);
    try {
      await p.show(codeSession());
      await painted(p, 'model'); // the nonce'd bundle itself runs
      const outcome = await p.page.evaluate<{ inlineRan: boolean; fetched: string }>(injectAndFetch(remote.origin));
      assert.equal(outcome.inlineRan, false);
      assert.match(outcome.fetched, /^blocked/);
      assert.equal(remote.hits.get('/probe') ?? 0, 0, 'the request never left the page');
      const directives = (await p.violations()).map((v) => v.directive);
      assert.ok(directives.some((d) => d.startsWith('script-src')), directives.join());
      assert.ok(directives.includes('connect-src'), directives.join());

      // Control: the same two actions on a page without the CSP succeed, so the checks above can fail.
      const plain = await browser.newPage();
      try {
        await plain.goto(`${server.origin}/no-such-page`); // a 404 page of the same server, no CSP
        const control = await plain.evaluate<{ inlineRan: boolean; fetched: string }>(injectAndFetch(remote.origin));
        assert.deepEqual(control, { inlineRan: true, fetched: 'fetched' });
        assert.equal(remote.hits.get('/probe'), 1);
      } finally {
        await plain.close();
      }
    } finally {
      await p.close();
      await remote.close();
    }
  });
});
