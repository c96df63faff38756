// Command → first paint of the inspector, measured the way the bench needs it
// (metrics.inspector_first_paint_ms_512): engine forward with attention, the host's session
// (thumbnails, quantization), the document message, and the webview's first frame in headless
// Chromium; then the head statistics, which follow the document. The page and browser are started before the clock starts, as a panel that is
// already open would be.
import type { Engine } from '../../src/engine/types';
import { inspectText } from '../../src/inspector/session';
import { launchBrowser, openInspector, startServer } from './harness';

export interface FirstPaintSample {
  readonly tokens: number;
  /** Engine forward as the engine reports it. */
  readonly forwardMs: number;
  /** attention() call + session building (thumbnails), host side. */
  readonly hostMs: number;
  /** Start → the webview's firstPaint message received (what the bench reports). */
  readonly firstPaintMs: number;
  /** Start → every section's head statistics computed and delivered (they follow the first paint). */
  readonly statsMs: number;
}

/**
 * Runs `runs` inspections of `text` (cut to maxTokens) and returns one sample per run. The first
 * run opens the engine's attention-only session and grows its memory: it is returned as well, and
 * callers report it apart (cold) from the rest (warm).
 */
export async function measureInspectorFirstPaint(engine: Engine, text: string, maxTokens: number, runs = 5): Promise<FirstPaintSample[]> {
  const browser = await launchBrowser();
  const server = await startServer();
  const page = await openInspector(browser, server);
  try {
    const samples: FirstPaintSample[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const session = await inspectText(engine, { text, maxTokens }, { docId: 1000 + i, title: 'bench', modelName: engine.info.name });
      const hostMs = performance.now() - start;
      await page.show(session);
      await page.waitForMessage('firstPaint', (m) => m.docId === session.docId, 30_000);
      const firstPaintMs = performance.now() - start;
      await page.statsDelivered(session);
      samples.push({
        tokens: session.document.sections[0]!.queryTokens.length,
        forwardMs: session.document.forwardMs,
        hostMs,
        firstPaintMs,
        statsMs: performance.now() - start,
      });
    }
    return samples;
  } finally {
    await page.close();
    await browser.close();
    await server.close();
  }
}
