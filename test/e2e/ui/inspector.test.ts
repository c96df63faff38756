// "Tealeaf: Inspect Attention" on a selection: the webview's model view shows a heatmap for
// every layer × head of the model.
import * as assert from 'node:assert/strict';
import { gridCellRect, modelGridLayout } from '../../../webview/inspector/layout';
import { lineNumber, type UiContext } from './context';
import { Workbench } from './workbench';

interface CanvasPixels {
  readonly cssWidth: number;
  readonly cssHeight: number;
  readonly scale: number;
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major, of the backing store. */
  readonly data: number[];
}

export function registerInspectorUiTests(ctx: UiContext): void {
  describe('UI: attention inspector', () => {
    let wb: Workbench | undefined;
    before(async function () {
      if (!ctx.models.completion) this.skip();
      wb = await Workbench.open(ctx.browser(), ctx);
    });
    after(async () => {
      await wb?.close();
    });

    it('Inspect Attention on a selection shows a non-empty grid of all layers × heads', async () => {
      assert.ok(wb);
      const model = ctx.models.completion;
      assert.ok(model);
      await wb.openFile('src/geometry.ts');
      await wb.selectLine(lineNumber(ctx, 'src/geometry.ts', (l) => l.includes('return Math.sqrt')));
      await wb.screenshot('ui-inspector-selection');
      await wb.runCommand('Tealeaf: Inspect Attention');

      const canvas = wb.webview().locator('canvas[data-view="model"][data-painted="true"]');
      await canvas.waitFor({ timeout: 120_000 });
      const pixels: CanvasPixels = await canvas.evaluate((node) => {
        const c = node as HTMLCanvasElement;
        const context = c.getContext('2d');
        if (!context) throw new Error('no 2d context');
        const image = context.getImageData(0, 0, c.width, c.height);
        return {
          cssWidth: parseFloat(c.style.width),
          cssHeight: parseFloat(c.style.height),
          scale: c.width / parseFloat(c.style.width),
          width: c.width,
          height: c.height,
          data: Array.from(image.data),
        };
      });
      // The painted grid's size is a function of layers × heads: it must be this model's.
      const grid = modelGridLayout(pixels.cssWidth, model.layers, model.heads);
      assert.equal(grid.width, pixels.cssWidth, `grid width: not ${model.heads} heads`);
      assert.equal(grid.height, pixels.cssHeight, `grid height: not ${model.layers} layers`);

      const at = (x: number, y: number): string => {
        const i = (Math.floor(y * pixels.scale) * pixels.width + Math.floor(x * pixels.scale)) * 4;
        return pixels.data.slice(i, i + 3).join(',');
      };
      const background = at(1, 1);
      const empty: string[] = [];
      for (let layer = 0; layer < model.layers; layer++) {
        for (let head = 0; head < model.heads; head++) {
          const r = gridCellRect(grid, layer, head);
          let painted = 0;
          // Inside the cell's border: the heatmap thumbnail.
          for (let y = r.y + 2; y < r.y + r.h - 2; y++) {
            for (let x = r.x + 2; x < r.x + r.w - 2; x++) if (at(x, y) !== background) painted++;
          }
          if (painted === 0) empty.push(`L${layer}H${head}`);
        }
      }
      assert.deepEqual(empty, [], 'heads with an empty heatmap');
      await wb.screenshot('ui-inspector-model-view');
    });

    it('a whole file inspected, Enter on the grid opens its first head, drawn from megabytes of attention', async () => {
      // A window of its own, so that the grid waited for is this inspection's, not the panel the
      // test before left open.
      const wb = await Workbench.open(ctx.browser(), ctx);
      try {
        // The whole file (cut to the model's window): a layer's quantized heads are megabytes, which
        // reach the extension host in pieces, in memory outside its malloc heap, and the webview whole.
        await wb.openFile('src/shapes.ts');
        await wb.page.keyboard.press('Control+A');
        await wb.runCommand('Tealeaf: Inspect Attention');
        const grid = wb.webview().locator('canvas[data-view="model"][data-painted="true"]');
        await grid.waitFor({ timeout: 120_000 });
        await grid.focus();
        await grid.press('Enter');
        const matrix = wb.webview().locator('canvas[data-view="matrix"][data-painted="true"]');
        await matrix.waitFor({ timeout: 120_000 });
        // Painted only once its data arrived and drew (a message such as "Could not load" is not).
        const drawn = await matrix.evaluate((node) => ({ ...(node as HTMLCanvasElement).dataset }));
        assert.deepEqual(JSON.parse(drawn.scope ?? '{}'), { kind: 'head', layer: 0, head: 0 });
        assert.match(drawn.visibleRows ?? '', /^0-\d+$/);
        assert.ok(Number(drawn.visibleRows?.split('-')[1]) > 1, `rows in view: ${drawn.visibleRows}`);
        await wb.screenshot('ui-inspector-matrix-view');
      } finally {
        await wb.close();
      }
    });
  });
}
