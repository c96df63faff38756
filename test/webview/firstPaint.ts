// Command → first paint of the inspector, measured the way the bench needs it
// (metrics.inspector_first_paint_ms_512): engine forward with attention, the host's session
// (stats, thumbnails, quantization), the document message, and the webview's first frame in
// headless Chromium. The page and browser are started before the clock starts, as a panel that is
// already open would be.
import type { Engine } from '../../src/engine/types';
import { inspectText } from '../../src/inspector/session';
import { launchBrowser, openInspector, startServer } from './harness';

export interface FirstPaintSample {
  readonly tokens: number;
  /** Engine forward as the engine reports it. */
  readonly forwardMs: number;
  /** attention() call + session building (stats, thumbnails), host side. */
  readonly hostMs: number;
  /** Start → the webview's firstPaint message received (what the bench reports). */
  readonly firstPaintMs: number;
}

/** Runs `runs` inspections of `text` (cut to maxTokens) and returns one sample per run. */
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
      samples.push({
        tokens: session.document.sections[0]!.queryTokens.length,
        forwardMs: session.document.forwardMs,
        hostMs,
        firstPaintMs: performance.now() - start,
      });
    }
    return samples;
  } finally {
    await page.close();
    await browser.close();
    await server.close();
  }
}
