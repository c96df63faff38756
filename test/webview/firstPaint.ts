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

export interface FirstPaintPlan {
  /** Inspections after the cold one that are measured but reported apart (see below). */
  readonly warmup: number;
  /** Idle time after the warm-up, for V8's background compiler to finish (see below). */
  readonly settleMs: number;
  /** Inspections measured once warm. */
  readonly runs: number;
}

export interface FirstPaintRuns {
  /** The first inspection after loading the model: it also opens the attention-only session. */
  readonly cold: FirstPaintSample;
  /** The next ones, while V8 still runs onnxruntime's kernels in its baseline compiler. */
  readonly warmup: readonly FirstPaintSample[];
  /** Steady state: what a user sees once the engine has run a few passes (completions do it). */
  readonly warm: readonly FirstPaintSample[];
}

/**
 * Runs inspections of `text` (cut to maxTokens): one cold, `warmup` more, a pause, then `runs`.
 * Why a warm-up: V8 first runs WebAssembly from its baseline compiler (Liftoff) and recompiles hot
 * functions with its optimizing one (TurboFan) on a background thread. With both cores busy in
 * onnxruntime's thread pool that thread barely runs, so the forward pass is up to twice as slow for
 * the first few seconds of use (5 to 20 passes of 512 tokens measured here); a short idle lets it
 * finish, as the pauses between a user's keystrokes and commands do.
 */
export async function measureInspectorFirstPaint(engine: Engine, text: string, maxTokens: number, plan: FirstPaintPlan): Promise<FirstPaintRuns> {
  const browser = await launchBrowser();
  const server = await startServer();
  const page = await openInspector(browser, server);
  try {
    const samples: FirstPaintSample[] = [];
    const inspect = async (docId: number): Promise<FirstPaintSample> => {
      const start = performance.now();
      const session = await inspectText(engine, { text, maxTokens }, { docId, title: 'bench', modelName: engine.info.name });
      const hostMs = performance.now() - start;
      await page.show(session);
      await page.waitForMessage('firstPaint', (m) => m.docId === session.docId, 30_000);
      const firstPaintMs = performance.now() - start;
      await page.statsDelivered(session);
      return {
        tokens: session.document.sections[0]!.queryTokens.length,
        forwardMs: session.document.forwardMs,
        hostMs,
        firstPaintMs,
        statsMs: performance.now() - start,
      };
    };
    for (let i = 0; i < 1 + plan.warmup; i++) samples.push(await inspect(1000 + i));
    await new Promise((resolve) => setTimeout(resolve, plan.settleMs));
    for (let i = 0; i < plan.runs; i++) samples.push(await inspect(2000 + i));
    return { cold: samples[0]!, warmup: samples.slice(1, 1 + plan.warmup), warm: samples.slice(1 + plan.warmup) };
  } finally {
    await page.close();
    await browser.close();
    await server.close();
  }
}
